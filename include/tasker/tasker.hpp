#pragma once
// Everything a tasker user needs for the embedded default; backends have their own headers.

#include <tasker/clock.hpp>
#include <tasker/engine/client.hpp>
#include <tasker/core/decision.hpp>
#include <tasker/engine/handler_registry.hpp>
#include <tasker/engine/orchestrator.hpp>
#include <tasker/engine/step_context.hpp>
#include <tasker/engine/step_result.hpp>
#include <tasker/engine/worker.hpp>
#include <tasker/error.hpp>
#include <tasker/inmemory/broker.hpp>
#include <tasker/inmemory/runtime.hpp>
#include <tasker/inmemory/store.hpp>
#include <tasker/logger.hpp>
#include <tasker/messaging/message_broker.hpp>
#include <tasker/model/task_template.hpp>
#include <tasker/model/template_registry.hpp>
#include <tasker/store/task_store.hpp>
#include <tasker/store/timeline.hpp>
