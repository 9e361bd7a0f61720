// The identity lifecycle suite on the embedded runtime. PostgreSQL with PGMQ and with
// RabbitMQ run the same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/identity_suite.hpp"

TASKER_IDENTITY_SUITE(tasker::test::inmemory_deployment, "[lifecycle][identity]");
