#include <tasker/model/semver.hpp>

#include "support/catch.hpp"

using namespace tasker;

TEST_CASE("semver: parse and print", "[unit][semver]")
{
    const auto v = semver::parse("1.22.333-rc.1+build.5").value();
    CHECK(v.major == 1);
    CHECK(v.minor == 22);
    CHECK(v.patch == 333);
    CHECK(v.prerelease == "rc.1");
    CHECK(v.build == "build.5");
    CHECK(v.to_string() == "1.22.333-rc.1+build.5");
    CHECK(semver::parse("0.0.0"));
}

TEST_CASE("semver: bad versions say what is wrong", "[unit][semver]")
{
    for (const char* bad : {"", "1", "1.0", "1.0.0.0", "01.0.0", "1.a.0", "1.0.0-", "1.0.0-01", "1.0.0+", "v1.0.0",
                            "1.0.0-a..b", "-1.0.0", "99999999999.0.0"}) {
        INFO(bad);
        auto r = semver::parse(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_template);
        CHECK(r.error().message.find(std::string("bad version '") + bad + "'") == 0);
    }
}

TEST_CASE("semver: precedence follows semver.org", "[unit][semver]")
{
    auto v = [](const char* s) { return semver::parse(s).value(); };
    CHECK(v("1.0.0") < v("2.0.0"));
    CHECK(v("2.0.0") < v("2.1.0"));
    CHECK(v("2.1.0") < v("2.1.1"));
    CHECK(v("1.9.0") < v("1.10.0"));
    // 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0
    const char* chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                           "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"};
    for (std::size_t i = 1; i < std::size(chain); ++i) {
        INFO(chain[i - 1] << " < " << chain[i]);
        CHECK(v(chain[i - 1]) < v(chain[i]));
    }
    CHECK(v("1.0.0+a") == v("1.0.0+b")); // build metadata takes no part
}
