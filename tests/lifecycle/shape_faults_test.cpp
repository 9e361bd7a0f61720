// The shape-under-fault lifecycle suite on the embedded runtime. PostgreSQL with PGMQ and
// with RabbitMQ run the same suite: tests/rabbitmq/lifecycle_test.cpp.
#include "lifecycle/shape_faults_suite.hpp"

TASKER_SHAPE_FAULTS_SUITE(tasker::test::inmemory_deployment, "[lifecycle][faults]")
