// The official JSON Schema test suite (json-schema-org/JSON-Schema-Test-Suite, Debian's
// json-schema-test-suite), draft 7: every case of every file, optional ones included, run
// through json_schema::compile and json_schema::violations. A case passes when the schema
// compiles and the value is found valid or invalid as the suite says. The cases tasker does
// not pass are listed below, each with the reason. The list stays exact: an excluded case that
// passes fails this test.
#include <tasker/model/json_schema.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace tasker;

namespace {

namespace fs = std::filesystem;

/// Cases left out: a file, a group of it (its "description"), and one test of that group (its
/// "description"), or, when empty, every test of the group or (`invalid_only`) every test the
/// suite says is invalid.
struct exclusion {
    std::string_view file;
    std::string_view group;
    std::string_view test;
    std::string_view why;
    bool invalid_only = false;
};

// References to other documents: tasker never fetches one, and refuses such a schema when it
// is compiled (a template must not reach out to the network when it is loaded).
constexpr std::string_view remote = "a $ref to another document, refused at compile time";
// Formats valijson does not check (it checks date, time and date-time): a string of any other
// format passes. Draft 7 makes format checks optional.
constexpr std::string_view format = "a format valijson does not check";
// contentMediaType and contentEncoding are annotations in draft 7 (checking them is optional).
constexpr std::string_view content = "content keywords are not checked";

constexpr exclusion excluded[] = {
    {"definitions.json", "valid definition", "", remote},   // the draft-07 meta-schema by URL
    {"definitions.json", "invalid definition", "", remote}, // the same
    {"ref.json", "remote ref, containing refs itself", "", remote},
    // "$ref": "node" against "$id": "http://localhost:1234/tree": a reference by URI to an $id,
    // which is another document to tasker (it resolves only '#' references within the schema).
    {"ref.json", "Recursive references between schemas", "", remote},
    {"refRemote.json", "remote ref", "", remote},
    {"refRemote.json", "fragment within remote ref", "", remote},
    {"refRemote.json", "ref within remote ref", "", remote},
    {"refRemote.json", "base URI change", "", remote},
    {"refRemote.json", "base URI change - change folder", "", remote},
    {"refRemote.json", "base URI change - change folder in subschema", "", remote},
    {"refRemote.json", "root ref in remote ref", "", remote},
    // Integers past 64 bits arrive as doubles from Boost.JSON, and valijson counts only
    // 64-bit integers as integers (the numbers themselves compare correctly).
    {"optional/bignum.json", "integer", "a bignum is an integer",
     "an integer past 64 bits is a double to Boost.JSON, not an integer to valijson"},
    {"optional/bignum.json", "integer", "a negative bignum is an integer",
     "an integer past 64 bits is a double to Boost.JSON, not an integer to valijson"},
    {"optional/content.json", "validation of string-encoded content based on media type", "", content, true},
    {"optional/content.json", "validation of binary string-encoding", "", content, true},
    {"optional/content.json", "validation of binary-encoded media type documents", "", content, true},
    {"optional/ecmascript-regex.json", "ECMA 262 regex non-compliance", "", format, true}, // format: regex
    {"optional/format/email.json", "validation of e-mail addresses", "", format, true},
    {"optional/format/hostname.json", "validation of host names", "", format, true},
    {"optional/format/idn-email.json", "validation of an internationalized e-mail addresses", "", format, true},
    {"optional/format/idn-hostname.json", "validation of internationalized host names", "", format, true},
    {"optional/format/ipv4.json", "validation of IP addresses", "", format, true},
    {"optional/format/ipv6.json", "validation of IPv6 addresses", "", format, true},
    {"optional/format/iri-reference.json", "validation of IRI References", "", format, true},
    {"optional/format/iri.json", "validation of IRIs", "", format, true},
    {"optional/format/json-pointer.json", "validation of JSON-pointers (JSON String Representation)", "", format, true},
    {"optional/format/regex.json", "validation of regular expressions", "", format, true},
    {"optional/format/relative-json-pointer.json", "validation of Relative JSON Pointers (RJP)", "", format, true},
    {"optional/format/uri-reference.json", "validation of URI References", "", format, true},
    {"optional/format/uri-template.json", "format: uri-template", "", format, true},
    {"optional/format/uri.json", "validation of URIs", "", format, true},
};

const exclusion* find_exclusion(std::string_view file, std::string_view group, std::string_view test, bool valid)
{
    for (const auto& e : excluded)
        if (e.file == file && e.group == group && (e.test.empty() || e.test == test) && !(e.invalid_only && valid))
            return &e;
    return nullptr;
}

json::value read_json(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto v = parse_json(text.str());
    INFO(p.string());
    REQUIRE(v);
    return *v;
}

} // namespace

TEST_CASE("json_schema: every case of the JSON Schema test suite, draft 7", "[unit][json_schema]")
{
    const fs::path root = fs::path(TASKER_JSON_SCHEMA_TEST_SUITE_DIR) / "tests" / "draft7";
    if (!fs::is_directory(root))
        FAIL("the JSON Schema test suite is not at " << root.string()
                                                     << ": script/bootstrap installs it (Debian's json-schema-test-suite)");

    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.is_regular_file() && entry.path().extension() == ".json")
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    REQUIRE_FALSE(files.empty());

    std::size_t run = 0, left_out = 0;
    std::vector<std::string> mismatches;
    std::vector<const exclusion*> used;
    for (const auto& path : files) {
        const auto file = fs::relative(path, root).generic_string();
        const auto document = read_json(path);
        for (const auto& group_value : document.as_array()) {
            const auto& group = group_value.as_object();
            const std::string_view group_name = group.at("description").as_string();
            const auto compiled = json_schema::compile(group.at("schema"));
            for (const auto& test_value : group.at("tests").as_array()) {
                const auto& test = test_value.as_object();
                const std::string_view test_name = test.at("description").as_string();
                const bool expected = test.at("valid").as_bool();
                std::string failure;
                if (!compiled)
                    failure = "the schema does not compile: " + compiled.error().what();
                else if (const bool valid = compiled->violations(test.at("data")).empty(); valid != expected)
                    failure = expected ? "found invalid, the suite says valid" : "found valid, the suite says invalid";
                const auto where = file + " / " + std::string(group_name) + " / " + std::string(test_name);
                if (const auto* e = find_exclusion(file, group_name, test_name, expected)) {
                    ++left_out;
                    used.push_back(e);
                    if (failure.empty())
                        mismatches.push_back(where + ": passes, but is excluded (" + std::string(e->why) + ")");
                    continue;
                }
                ++run;
                if (!failure.empty())
                    mismatches.push_back(where + ": " + failure);
            }
        }
    }
    for (const auto& e : excluded)
        if (std::find(used.begin(), used.end(), &e) == used.end())
            mismatches.push_back("the exclusion " + std::string(e.file) + " / " + std::string(e.group) +
                                 " matches no case of the suite: remove it");

    WARN("JSON Schema test suite, draft 7: " << files.size() << " files, " << run << " cases run, " << left_out
                                             << " excluded, " << mismatches.size() << " mismatches");
    std::string list;
    for (const auto& m : mismatches)
        list += m + "\n";
    INFO(list);
    CHECK(mismatches.empty());
}
