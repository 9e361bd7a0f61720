// The conditional and batch workflow suite on the embedded runtime. PostgreSQL with PGMQ and
// with RabbitMQ run the same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/dynamic_workflows_suite.hpp"

TASKER_DYNAMIC_WORKFLOWS_SUITE(tasker::test::inmemory_deployment, "[lifecycle][dynamic]")
