// The graceful-shutdown lifecycle suite on the embedded runtime. PostgreSQL with PGMQ and with
// RabbitMQ run the same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/shutdown_suite.hpp"

TASKER_SHUTDOWN_SUITE(tasker::test::inmemory_deployment, "[lifecycle][shutdown]");
