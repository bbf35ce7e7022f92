# embed_text.cmake: writes a text file into a C++ source as `extern const char* const SYMBOL`.
# Usage: cmake -DIN=file.md -DOUT=out.cpp -DSYMBOL=name -P embed_text.cmake
# The text is written as a hex byte array so no character of the lesson can break the C++ syntax.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "(..)" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by cmake/embed_text.cmake. Do not edit.\n"
  "namespace gb::lessons {\nstatic const unsigned char ${SYMBOL}_data[] = {${bytes}0x00};\n"
  "extern const char* const ${SYMBOL};\nconst char* const ${SYMBOL} = reinterpret_cast<const char*>(${SYMBOL}_data);\n}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
