// The fan-in lifecycle suite on the embedded runtime. PostgreSQL with PGMQ and with RabbitMQ
// run the same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/fan_in_suite.hpp"

TASKER_FAN_IN_SUITE(tasker::test::inmemory_deployment, "[lifecycle]")
