// The example-shape lifecycle suite on the embedded runtime (in-memory store and broker).
// PostgreSQL with PGMQ and with RabbitMQ run the same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/example_shapes_suite.hpp"

TASKER_EXAMPLE_SHAPES_SUITE(tasker::test::inmemory_deployment, "[lifecycle]")
