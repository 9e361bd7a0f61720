// The operations suite on the embedded runtime. PostgreSQL with PGMQ and with RabbitMQ run the
// same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/operations_suite.hpp"

TASKER_OPERATIONS_SUITE(tasker::test::inmemory_deployment, "[lifecycle][operations]")
