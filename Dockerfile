# syntax=docker/dockerfile:1
# llamashim as a container: docker build -t llamashim . && docker run -p 8066:8066 \
#   -e LLAMASHIM_TARGET_URL=http://host.docker.internal:8080 llamashim
# (see docker-compose.yml to run it next to llama-server)

# ---- build: the shaded jar, from the reactor's sources
FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY . .
# The cache mount keeps downloaded dependencies between builds (BuildKit).
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -pl shim-jetty-launcher -am package -DskipTests

# ---- run: a JRE and the one jar, as an unprivileged user
FROM eclipse-temurin:21-jre
RUN groupadd --system --gid 10001 llamashim \
 && useradd --system --uid 10001 --gid llamashim --no-create-home --shell /usr/sbin/nologin llamashim
WORKDIR /app
COPY --from=build /src/shim-jetty-launcher/target/llamashim.jar /app/llamashim.jar
# In a container the port must be reachable from outside it; on a host the default stays 127.0.0.1.
# Mount a config.yaml at /app/config.yaml, or set LLAMASHIM_<KEY> variables (they win over the file).
ENV LLAMASHIM_LISTEN_HOST=0.0.0.0
EXPOSE 8066
USER llamashim
# Exec form: java is PID 1 and gets the SIGTERM of `docker stop`, then stops gracefully (up to 8 s,
# under Docker's 10 s before SIGKILL).
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/llamashim.jar"]
