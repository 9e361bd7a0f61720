// The bad-input lifecycle suite on the embedded runtime. PostgreSQL with PGMQ and with
// RabbitMQ run the same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/bad_input_suite.hpp"

TASKER_BAD_INPUT_SUITE(tasker::test::inmemory_deployment, "[lifecycle][bad_input]");
