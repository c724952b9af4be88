package dev.llamashim.servlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** shim-servlet's one Jackson setup: the factory for streaming parsers and generators, and a mapper over it for trees. */
final class ServletJson {

    static final JsonFactory FACTORY = JsonFactory.builder().build();
    static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY).build();

    private ServletJson() {}
}
