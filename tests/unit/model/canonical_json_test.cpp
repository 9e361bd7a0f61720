#include <tasker/model/canonical_json.hpp>

#include "support/catch.hpp"

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

using namespace tasker;

namespace {

std::string canonical(std::string_view text) { return canonical_json(parse_json(text).value()); }

std::string number(std::uint64_t bits) { return canonical_json(json::value(std::bit_cast<double>(bits))); }

} // namespace

TEST_CASE("canonical_json: a fixed document has a fixed text and digest", "[unit][canonical_json]")
{
    // The expected digest was computed outside tasker (sha256 of the expected text): if this
    // fails, tasks submitted before the change under `identity_strategy: strict` no longer match
    // their resubmissions.
    const auto doc = parse_json(R"({
        "z": [3, 1.0, 1e2, -0.0, 0.1, 1.5e-7, 1e21, 9007199254740993, -9223372036854775808, 18446744073709551615],
        "\u20ac": "x", "\ud83d\ude00": 1, "\uff5e": 2,
        "a": {"\u00e9": "é\n\"q\"", "b": true, "A": null}
    })").value();
    CHECK(canonical_json(doc) ==
          "{\"a\":{\"A\":null,\"b\":true,\"\xc3\xa9\":\"\xc3\xa9\\n\\\"q\\\"\"},"
          "\"z\":[3,1,100,0,0.1,1.5e-7,1e+21,9007199254740993,-9223372036854775808,18446744073709551615],"
          "\"\xe2\x82\xac\":\"x\",\"\xf0\x9f\x98\x80\":1,\"\xef\xbd\x9e\":2}");
    CHECK(canonical_digest(doc) == "300d2b9176f2be17bda1a0ece849acc77b70779810bf94ee864c85f3fe6450cf");
    CHECK(canonical_digest(json::object{}) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST_CASE("canonical_json: key order and whitespace do not count", "[unit][canonical_json]")
{
    const auto a = canonical(R"({"b": 1, "a": {"y": [1, 2], "x": null}})");
    CHECK(a == R"({"a":{"x":null,"y":[1,2]},"b":1})");
    CHECK(canonical("{\n  \"a\" :{ \"x\":null ,\"y\" : [ 1,\t2 ] },\r\n \"b\":1 }") == a);
    CHECK(canonical(R"({"a":{"y":[1,2],"x":null},"b":1})") == a);
    // Array order does count.
    CHECK(canonical(R"({"a":{"y":[2,1],"x":null},"b":1})") != a);
}

TEST_CASE("canonical_json: one spelling per number", "[unit][canonical_json]")
{
    for (auto one : {"1", "1.0", "1e0", "1E0", "10e-1", "0.1e1", "1.000"})
        CHECK(canonical(one) == "1");
    CHECK(canonical("-0") == "0");
    CHECK(canonical("-0.0") == "0");
    CHECK(canonical("100") == canonical("1e2"));
    CHECK(canonical("[1.5, 15e-1, 0.15e1]") == "[1.5,1.5,1.5]");
    CHECK(canonical("-2.50") == "-2.5");

    // Integers are exact to 64 bits: 2^53 + 1 is not 2^53 (RFC 8785 would round both to it).
    CHECK(canonical("9007199254740993") == "9007199254740993");
    CHECK(canonical("9007199254740993") != canonical("9007199254740992"));
    CHECK(canonical("-9223372036854775808") == "-9223372036854775808");
    CHECK(canonical("18446744073709551615") == "18446744073709551615");
    // A double with an integral value in that range is that integer.
    CHECK(canonical("9223372036854775808.0") == "9223372036854775808");
    CHECK(canonical_json(json::value(std::uint64_t{1} << 63)) == "9223372036854775808");
    CHECK(canonical_json(json::value(std::int64_t{-42})) == canonical_json(json::value(-42.0)));
    // Beyond 64 bits the parser holds a double, written as RFC 8785 writes it.
    CHECK(canonical("18446744073709551616") == "18446744073709552000");
    CHECK(canonical("123456789012345678901234567890") == "1.2345678901234568e+29");
    CHECK(canonical("1e400") == "1e999");
    CHECK(canonical("-1e400") == "-1e999");
    CHECK(canonical_json(json::value(std::numeric_limits<double>::quiet_NaN())) == "null");
}

TEST_CASE("canonical_json: doubles as RFC 8785 writes them", "[unit][canonical_json]")
{
    // RFC 8785 appendix B, but for integral values below 2^64, which are written exactly.
    CHECK(number(0x0000000000000000) == "0");
    CHECK(number(0x8000000000000000) == "0");
    CHECK(number(0x0000000000000001) == "5e-324");
    CHECK(number(0x8000000000000001) == "-5e-324");
    CHECK(number(0x7fefffffffffffff) == "1.7976931348623157e+308");
    CHECK(number(0xffefffffffffffff) == "-1.7976931348623157e+308");
    CHECK(number(0x4340000000000000) == "9007199254740992");
    CHECK(number(0xc340000000000000) == "-9007199254740992");
    CHECK(number(0x4430000000000000) == "295147905179352830000");
    CHECK(number(0x44b52d02c7e14af5) == "9.999999999999997e+22");
    CHECK(number(0x44b52d02c7e14af6) == "1e+23");
    CHECK(number(0x44b52d02c7e14af7) == "1.0000000000000001e+23");
    CHECK(number(0x444b1ae4d6e2ef4e) == "999999999999999700000");
    CHECK(number(0x444b1ae4d6e2ef4f) == "999999999999999900000");
    CHECK(number(0x444b1ae4d6e2ef50) == "1e+21");
    CHECK(number(0x3eb0c6f7a0b5ed8c) == "9.999999999999997e-7");
    CHECK(number(0x3eb0c6f7a0b5ed8d) == "0.000001");
    CHECK(number(0x41b3de4355555553) == "333333333.3333332");
    CHECK(number(0x41b3de4355555554) == "333333333.33333325");
    CHECK(number(0x41b3de4355555555) == "333333333.3333333");
    CHECK(number(0xc3e0000000000001) == "-9223372036854778000"); // below -2^63
    // RFC 8785 writes 2^63 as 9223372036854776000; here it is the exact integer.
    CHECK(number(0x43e0000000000000) == "9223372036854775808");
}

TEST_CASE("canonical_json: strings and unicode escapes", "[unit][canonical_json]")
{
    // Escapes in the text are decoded: the same string however it was written.
    CHECK(canonical(R"("\u00e9")") == canonical("\"\xc3\xa9\""));
    CHECK(canonical(R"("\u00e9")") == "\"\xc3\xa9\"");
    CHECK(canonical(R"("\ud83d\ude00")") == "\"\xf0\x9f\x98\x80\"");
    CHECK(canonical(R"("\/")") == "\"/\"");
    CHECK(canonical(R"("\u0041")") == "\"A\"");
    // Only the quote, the backslash and control characters are escaped, in their short forms
    // where JSON has one and as lowercase \u00xx otherwise.
    CHECK(canonical(R"("a\"b\\c")") == R"("a\"b\\c")");
    CHECK(canonical(R"("\b\t\n\f\r")") == R"("\b\t\n\f\r")");
    CHECK(canonical(R"("\u0001\u001F\u007f")") == "\"\\u0001\\u001f\x7f\"");
    CHECK(canonical(R"("\u2028")") == "\"\xe2\x80\xa8\"");
}

TEST_CASE("canonical_json: keys sort by UTF-16 code units", "[unit][canonical_json]")
{
    // U+1F600 is the surrogate pair D83D DE00, below U+FF5E in UTF-16 (above it in UTF-8).
    CHECK(canonical(R"({"\uff5e": 1, "\ud83d\ude00": 2, "\u20ac": 3, "b": 4, "B": 5, "": 6, "aa": 7, "a": 8})") ==
          "{\"\":6,\"B\":5,\"a\":8,\"aa\":7,\"b\":4,\"\xe2\x82\xac\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xbd\x9e\":1}");
    // Bytes that are not UTF-8 (a value built in C++) keep a total order and their bytes.
    json::object o;
    o["\xff"] = 1;
    o["\xfe"] = 2;
    o["z"] = 3;
    CHECK(canonical_json(o) == "{\"z\":3,\"\xfe\":2,\"\xff\":1}");
}

TEST_CASE("canonical_json: nested arrays and objects", "[unit][canonical_json]")
{
    const auto a = canonical(R"([{"b": [{"d": 1.0, "c": [[], {}]}], "a": [true, false, null]}, [[["x"]]]])");
    CHECK(a == R"([{"a":[true,false,null],"b":[{"c":[[],{}],"d":1}]},[[["x"]]]])");
    CHECK(canonical(R"([ {"a":[true,false,null],"b":[{"c":[[],{}],"d":1e0}]} , [[["x"]]] ])") == a);
    CHECK(canonical_digest(parse_json(R"({"a": 1, "b": 2})").value()) ==
          canonical_digest(parse_json(R"({"b": 2.0, "a": 1})").value()));
    CHECK(canonical_digest(parse_json(R"({"a": 1})").value()) != canonical_digest(parse_json(R"({"a": "1"})").value()));
}

TEST_CASE("sha256_hex: the FIPS 180-2 test vectors", "[unit][canonical_json]")
{
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
