// The lifecycle suites of tests/lifecycle/*_suite.hpp on PostgreSQL, once per broker: the same test bodies as on the embedded runtime, only the type differs.
#include "lifecycle/bad_input_suite.hpp"
#include "lifecycle/dynamic_workflows_suite.hpp"
#include "lifecycle/example_shapes_suite.hpp"
#include "lifecycle/fan_in_suite.hpp"
#include "lifecycle/identity_suite.hpp"
#include "lifecycle/operations_suite.hpp"
#include "lifecycle/shape_faults_suite.hpp"
#include "lifecycle/shutdown_suite.hpp"
#include "support/postgres_deployment.hpp"

using pgmq_deployment = tasker::test::postgres_deployment<tasker::pgmq::broker>;
using rabbitmq_deployment = tasker::test::postgres_deployment<tasker::rabbitmq::broker>;
using pgmq_via_broker_deployment = tasker::test::pgmq_via_any_broker_deployment;

// pgmq_deployment runs the engines' store-read path, pgmq_via_broker_deployment the broker-read path.
static_assert(tasker::queue_reading_store<tasker::postgres::store, tasker::pgmq::broker>);
static_assert(!tasker::queue_reading_store<tasker::postgres::store, tasker::any_broker>);

TASKER_EXAMPLE_SHAPES_SUITE(pgmq_deployment, "[postgres][lifecycle]")
TASKER_EXAMPLE_SHAPES_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle]")
TASKER_EXAMPLE_SHAPES_SUITE(pgmq_via_broker_deployment, "[postgres][lifecycle]")
TASKER_SHAPE_FAULTS_SUITE(pgmq_deployment, "[postgres][lifecycle][faults]")
TASKER_SHAPE_FAULTS_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle][faults]")
TASKER_FAN_IN_SUITE(pgmq_deployment, "[postgres][lifecycle]")
TASKER_DYNAMIC_WORKFLOWS_SUITE(pgmq_deployment, "[postgres][lifecycle][dynamic]")
TASKER_DYNAMIC_WORKFLOWS_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle][dynamic]")
TASKER_FAN_IN_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle]")
TASKER_BAD_INPUT_SUITE(pgmq_deployment, "[postgres][lifecycle][bad_input]");
TASKER_BAD_INPUT_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle][bad_input]");
TASKER_SHUTDOWN_SUITE(pgmq_deployment, "[postgres][lifecycle][shutdown]");
TASKER_SHUTDOWN_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle][shutdown]");
TASKER_IDENTITY_SUITE(pgmq_deployment, "[postgres][lifecycle][identity]");
TASKER_IDENTITY_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle][identity]");
TASKER_OPERATIONS_SUITE(pgmq_deployment, "[postgres][lifecycle][operations]")
TASKER_OPERATIONS_SUITE(rabbitmq_deployment, "[rabbitmq][lifecycle][operations]")
