#pragma once
// Catch2 plus how tasker's types print in assertion messages. Include this, not
// <catch2/catch.hpp>, in every test.

#include <tasker/error.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace Catch {

// `REQUIRE(r)` on a tasker::result prints the error when it fails, whatever T is.
template <class T>
struct StringMaker<boost::system::result<T, tasker::error>> {
    static std::string convert(const boost::system::result<T, tasker::error>& r)
    {
        return r.has_value() ? std::string("a value") : "error: " + r.error().what();
    }
};

template <>
struct StringMaker<tasker::error> {
    static std::string convert(const tasker::error& e) { return e.what(); }
};

} // namespace Catch
