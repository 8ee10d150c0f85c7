#include "server/handler_set.h"

#include "server/binary_handler.h"
#include "server/meta_handler.h"
#include "server/operator_handler.h"
#include "server/text_handler.h"

namespace memfleet::server {

HandlerSet::HandlerSet(const HandlerContext& ctx) : ctx_(ctx) {}

HandlerSet::~HandlerSet() = default;

void HandlerSet::ExecuteText(const protocol::text::Request& req) {
  namespace text = protocol::text;
  switch (req.command) {
    case text::Command::kMetaGet:
    case text::Command::kMetaSet:
    case text::Command::kMetaDelete:
    case text::Command::kMetaArithmetic:
    case text::Command::kMetaNoop:
    case text::Command::kMetaDebug:
      if (!meta_) meta_ = std::make_unique<MetaHandler>(ctx_);
      meta_->Execute(req);
      return;
    case text::Command::kSlabs:
    case text::Command::kLruCrawler:
    case text::Command::kLru:
    case text::Command::kWatch:
    case text::Command::kMisbehave:
      if (!operator_) operator_ = std::make_unique<OperatorHandler>(ctx_);
      operator_->Execute(req);
      return;
    default:
      if (!text_) text_ = std::make_unique<TextHandler>(ctx_);
      text_->Execute(req);
      return;
  }
}

void HandlerSet::FinishStore(ValueOwner owner, storage::ItemRef item, bool data_ok) {
  switch (owner) {
    case ValueOwner::kText:
      text_->FinishStore(std::move(item), data_ok);
      return;
    case ValueOwner::kMeta:
      meta_->FinishStore(std::move(item), data_ok);
      return;
    case ValueOwner::kBinary:
      binary_->FinishStore(std::move(item), data_ok);
      return;
  }
}

BinaryHandler& HandlerSet::binary() {
  if (!binary_) binary_ = std::make_unique<BinaryHandler>(ctx_);
  return *binary_;
}

}  // namespace memfleet::server
