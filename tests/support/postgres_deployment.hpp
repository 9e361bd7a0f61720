#pragma once
// PostgreSQL deployments for the lifecycle suites: a fresh migrated database per test and
// broker `B` (tasker::pgmq, or tasker::rabbitmq with a name prefix of its own), behind
// postgres::runtime<B>. Needs TASKER_DATABASE_URL (and TASKER_RABBITMQ_URL for RabbitMQ).

#include "support/deployment.hpp"

#include <tasker/messaging/any_broker.hpp>
#include <tasker/pgmq/broker.hpp>
#include <tasker/postgres/runtime.hpp>
#include <tasker/rabbitmq/broker.hpp>
#include <tasker/testing/postgres.hpp>
#include <tasker/testing/rabbitmq.hpp>

namespace tasker::test {

/// How a test makes broker `B` on the servers of the environment.
template <class B>
struct broker_setup;

template <>
struct broker_setup<pgmq::broker> {
    static constexpr const char* name = "postgres + pgmq";
    explicit broker_setup(const std::string& db_url) : config{.url = db_url, .threads = 2} {}
    pgmq::broker_config config;
};

template <>
struct broker_setup<rabbitmq::broker> {
    static constexpr const char* name = "postgres + rabbitmq";
    explicit broker_setup(const std::string&) {}
    testing::rabbitmq_fixture server;
    rabbitmq::broker_config config{.url = server.url, .prefix = server.prefix};
};

inline postgres::runtime_options postgres_fast_options(const std::string& url, deployment_settings s = {})
{
    postgres::runtime_options o{.url = url, .store_threads = 2};
    o.worker.concurrency = 8;
    o.worker.poll_interval = std::chrono::milliseconds(500);
    o.orchestrator.poll_interval = std::chrono::milliseconds(500);
    o.relay.poll_interval = std::chrono::milliseconds(500);
    s.apply(o);
    return o;
}

template <class B>
struct postgres_deployment {
    static constexpr const char* name = broker_setup<B>::name;

    explicit postgres_deployment(deployment_settings s = {}) : rt(postgres_fast_options(db.url(), s), broker.config) {}

    testing::postgres_database db = testing::migrated_database();
    broker_setup<B> broker{db.url()};
    postgres::runtime<B> rt;
};

/// PGMQ behind `any_broker`: the engines read through the broker, as with any broker they do
/// not know, instead of letting the store read the queues in its own transactions
/// (`queue_reading_store`), so that path keeps running against PostgreSQL too.
struct pgmq_via_any_broker_deployment {
    static constexpr const char* name = "postgres + pgmq through any_broker";

    explicit pgmq_via_any_broker_deployment(deployment_settings s = {})
        : rt(options(db.url(), s), std::make_unique<pgmq::broker>(pgmq::broker_config{.url = db.url(), .threads = 2}))
    {
    }

    static postgres::runtime_options options(const std::string& url, deployment_settings s)
    {
        auto o = postgres_fast_options(url, s);
        o.route = postgres::message_route::pgmq; // any_broker alone would mean the outbox
        return o;
    }

    testing::postgres_database db = testing::migrated_database();
    postgres::runtime<any_broker> rt;
};

} // namespace tasker::test
