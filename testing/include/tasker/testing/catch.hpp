#pragma once
// Catch2 (v2) support for the testing kit: a failed `CHECK(s.expect()...)` prints which
// expectations failed and the task's timeline. Include after <catch2/catch.hpp>.

#include <tasker/testing/scenario.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace Catch {

template <>
struct StringMaker<tasker::testing::expectation> {
    static std::string convert(const tasker::testing::expectation& e) { return "\n" + e.describe(); }
};

} // namespace Catch
