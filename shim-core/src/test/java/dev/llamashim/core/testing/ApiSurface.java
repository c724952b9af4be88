package dev.llamashim.core.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A module's public API as text, one line per type and per member, sorted: what code outside the
 * module can name (public types whose enclosing types are public too, and their public and
 * protected members). Compiler-made synthetic and bridge members are left out; record accessors,
 * the records' canonical constructors and the enums' {@code values}/{@code valueOf} are in.
 * Compared with a checked-in listing (as OkHttp does with its {@code .api} files) so that a change
 * to the API is made on purpose: {@code -Dllamashim.api.write=true} rewrites the listing.
 */
public final class ApiSurface {

    /** The system property that makes {@link #assertMatches} rewrite the listing instead of failing. */
    public static final String WRITE_PROPERTY = "llamashim.api.write";

    private ApiSurface() {}

    /**
     * Fails unless {@code listing} (a path relative to the module, e.g. {@code api/shim-core.api})
     * holds the API of the classes directory {@code anyMainClass} was loaded from.
     */
    public static void assertMatches(Class<?> anyMainClass, Path listing) {
        String live = listing(anyMainClass);
        if (Boolean.getBoolean(WRITE_PROPERTY)) {
            write(listing, live);
            return;
        }
        String pinned = Files.exists(listing) ? read(listing) : "";
        if (!pinned.equals(live)) {
            fail("The public API differs from " + listing + " (- pinned, + now):\n" + diff(pinned, live)
                    + "\nIf the change is deliberate, rewrite the listing with -D" + WRITE_PROPERTY
                    + "=true (e.g. mvn -B -o -pl <module> -am test -Dtest=PublicApiTest"
                    + " -Dsurefire.failIfNoSpecifiedTests=false -D" + WRITE_PROPERTY + "=true) and commit it.");
        }
    }

    /** The API listing of the classes directory (or jar) {@code anyMainClass} was loaded from. */
    public static String listing(Class<?> anyMainClass) {
        ClassLoader loader = anyMainClass.getClassLoader();
        StringBuilder out = new StringBuilder();
        for (String name : classNames(classesRoot(anyMainClass))) {
            Class<?> type;
            try {
                type = Class.forName(name, false, loader);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("cannot load " + name, e);
            }
            if (visible(type)) {
                out.append(describe(type)).append(" {\n");
                members(type).forEach(member -> out.append("  ").append(member).append('\n'));
                out.append("}\n\n");
            }
        }
        return out.toString();
    }

    private static Path classesRoot(Class<?> anyMainClass) {
        try {
            return Path.of(anyMainClass.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The binary names of every class under {@code root}, sorted. */
    private static List<String> classNames(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException(root + " is not a classes directory; run the test from the module's build");
        }
        try (Stream<Path> files = Files.walk(root)) {
            String separator = root.getFileSystem().getSeparator();
            return files.map(file -> root.relativize(file).toString())
                    .filter(file -> file.endsWith(".class"))
                    .filter(file -> !file.endsWith("module-info.class") && !file.endsWith("package-info.class"))
                    .map(file -> file.substring(0, file.length() - ".class".length()).replace(separator, "."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether code in another package can name {@code type}. */
    private static boolean visible(Class<?> type) {
        if (type.isSynthetic() || type.isAnonymousClass() || type.isLocalClass()) {
            return false;
        }
        for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
            int modifiers = t.getModifiers();
            boolean outer = t.getDeclaringClass() == null;
            if (!Modifier.isPublic(modifiers) && (outer || !Modifier.isProtected(modifiers))) {
                return false;
            }
        }
        return true;
    }

    private static String describe(Class<?> type) {
        List<String> words = new ArrayList<>();
        int modifiers = type.getModifiers();
        words.add(Modifier.isPublic(modifiers) ? "public" : "protected");
        if (type.getDeclaringClass() != null && Modifier.isStatic(modifiers) && !type.isInterface()
                && !type.isEnum() && !type.isRecord()) {
            words.add("static");
        }
        String kind;
        if (type.isAnnotation()) {
            kind = "@interface";
        } else if (type.isInterface()) {
            kind = "interface";
        } else if (type.isEnum()) {
            kind = "enum";
        } else if (type.isRecord()) {
            kind = "record";
        } else {
            kind = "class";
            if (Modifier.isAbstract(modifiers)) {
                words.add("abstract");
            }
            if (Modifier.isFinal(modifiers)) {
                words.add("final");
            }
        }
        if (type.isSealed()) {
            words.add("sealed");
        }
        words.add(kind);
        StringBuilder out = new StringBuilder(String.join(" ", words)).append(' ')
                .append(type.getName()).append(typeParameters(type.getTypeParameters()));
        Type superclass = type.getGenericSuperclass();
        if (superclass != null && kind.equals("class") && superclass != Object.class) {
            out.append(" extends ").append(superclass.getTypeName());
        }
        Type[] interfaces = type.getGenericInterfaces();
        if (interfaces.length > 0 && !type.isAnnotation()) {
            out.append(type.isInterface() ? " extends " : " implements ")
                    .append(Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        return out.toString();
    }

    /** The type's own public and protected members, one line each: fields, constructors, methods, each by name. */
    private static List<String> members(Class<?> type) {
        List<String[]> lines = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (shown(type, field)) {
                lines.add(new String[] {"1 " + field.getName(),
                        modifiers(field.getModifiers(), type) + field.getGenericType().getTypeName() + " " + field.getName()});
            }
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            if (shown(type, constructor)) {
                lines.add(new String[] {"2", modifiers(constructor.getModifiers(), type)
                        + typeParameters(constructor.getTypeParameters()) + type.getSimpleName() + signature(constructor)});
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            if (shown(type, method) && !method.isBridge()) {
                String modifiers = modifiers(method.getModifiers(), type);
                if (method.isDefault()) {
                    modifiers = modifiers + "default ";
                }
                String typeParameters = typeParameters(method.getTypeParameters());
                lines.add(new String[] {"3 " + method.getName(), modifiers + (typeParameters.isEmpty() ? "" : typeParameters + " ")
                        + method.getGenericReturnType().getTypeName() + " " + method.getName() + signature(method)});
            }
        }
        return lines.stream()
                .sorted(Comparator.<String[], String>comparing(line -> line[0]).thenComparing(line -> line[1]))
                .map(line -> line[1])
                .toList();
    }

    private static boolean shown(Class<?> type, Member member) {
        int modifiers = member.getModifiers();
        boolean reachable = Modifier.isPublic(modifiers) || (Modifier.isProtected(modifiers) && !Modifier.isFinal(type.getModifiers()));
        return reachable && !member.isSynthetic();
    }

    /** Access and the modifiers that matter to callers; interface members' implied ones left out. */
    private static String modifiers(int modifiers, Class<?> owner) {
        StringBuilder out = new StringBuilder(Modifier.isPublic(modifiers) ? "public " : "protected ");
        if (Modifier.isStatic(modifiers)) {
            out.append("static ");
        }
        if (Modifier.isAbstract(modifiers) && !owner.isInterface()) {
            out.append("abstract ");
        }
        if (Modifier.isFinal(modifiers)) {
            out.append("final ");
        }
        return out.toString();
    }

    private static String signature(Executable executable) {
        String parameters = Arrays.stream(executable.getGenericParameterTypes())
                .map(Type::getTypeName)
                .collect(Collectors.joining(", ", "(", ")"));
        if (executable.isVarArgs()) {
            parameters = parameters.substring(0, parameters.lastIndexOf("[]")) + "...)";
        }
        Type[] exceptions = executable.getGenericExceptionTypes();
        return exceptions.length == 0
                ? parameters
                : parameters + " throws " + Arrays.stream(exceptions).map(Type::getTypeName).sorted().collect(Collectors.joining(", "));
    }

    private static String typeParameters(TypeVariable<?>[] variables) {
        if (variables.length == 0) {
            return "";
        }
        return Arrays.stream(variables).map(variable -> {
            Type[] bounds = variable.getBounds();
            boolean plain = bounds.length == 1 && bounds[0] == Object.class;
            return plain ? variable.getName()
                    : variable.getName() + " extends " + Arrays.stream(bounds).map(Type::getTypeName).collect(Collectors.joining(" & "));
        }).collect(Collectors.joining(", ", "<", ">"));
    }

    private static String read(Path listing) {
        try {
            return Files.readString(listing, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path listing, String text) {
        try {
            Files.createDirectories(listing.toAbsolutePath().getParent());
            Files.writeString(listing, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines only in {@code pinned} (with {@code -}) and only in {@code live} (with {@code +}), in order. */
    private static String diff(String pinned, String live) {
        List<String> before = pinned.lines().toList();
        List<String> after = live.lines().toList();
        // Longest common subsequence, so that one changed member shows as one - and one + line.
        int[][] common = new int[before.size() + 1][after.size() + 1];
        for (int i = before.size() - 1; i >= 0; i--) {
            for (int j = after.size() - 1; j >= 0; j--) {
                common[i][j] = before.get(i).equals(after.get(j))
                        ? common[i + 1][j + 1] + 1
                        : Math.max(common[i + 1][j], common[i][j + 1]);
            }
        }
        StringBuilder out = new StringBuilder();
        String type = "";
        String named = null;
        int i = 0;
        int j = 0;
        while (i < before.size() || j < after.size()) {
            if (i < before.size() && j < after.size() && before.get(i).equals(after.get(j))) {
                if (!before.get(i).startsWith(" ") && !before.get(i).equals("}")) {
                    type = before.get(i);
                }
                i++;
                j++;
                continue;
            }
            boolean added = j < after.size() && (i == before.size() || common[i][j + 1] >= common[i + 1][j]);
            String text = added ? after.get(j++) : before.get(i++);
            if (text.startsWith(" ")) {
                if (!type.equals(named)) {
                    out.append("  in ").append(type.replace(" {", "")).append(":\n");
                    named = type;
                }
            } else if (!text.isEmpty() && !text.equals("}")) {
                type = text;
                named = text;
            }
            out.append(added ? "+ " : "- ").append(text).append('\n');
        }
        return out.toString();
    }
}
