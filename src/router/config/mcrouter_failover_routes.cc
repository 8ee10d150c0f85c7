// mcrouter route JSON -> the handles for failure and replication: FailoverRoute,
// MissFailoverRoute, FailoverWithExptimeRoute, ModifyExptimeRoute, WarmUpRoute, ShadowRoute and
// PoolRoute's `shadows`. docs/router.md lists their fields.
#include <cstdint>
#include <limits>
#include <utility>

#include "router/config/mcrouter_reader.h"
#include "router/routes/miss_failover_route.h"
#include "router/routes/modify_exptime_route.h"
#include "router/routes/warm_up_route.h"

namespace memfleet::router {
namespace {

using json::Json;

// mcrouter reads exptimes as 32-bit integers.
constexpr int64_t kMaxExptime = std::numeric_limits<int32_t>::max();
constexpr int64_t kMinExptime = std::numeric_limits<int32_t>::min();
// FailoverWithExptimeRoute's failover_exptime when none is given: short, so that a gutter pool
// never serves what it was sent for long (mcrouter's default is 60 s).
constexpr int64_t kDefaultFailoverExptime = 10;

}  // namespace

// --- failover_errors and failover_limit

Status McrouterReader::ReadErrorList(const Json& j, const std::string& path,
                                     std::vector<ResultCode>* codes) {
  if (!j.is_array()) return json::Error(path, json::Expected("an array of error names", j));
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string item_path = json::Index(path, i);
    if (!j[i].is_string()) return json::Error(item_path, json::Expected("a string", j[i]));
    const std::string& name = j[i].get_ref<const std::string&>();
    bool known = false;
    std::optional<ResultCode> code = FailoverErrors::ErrorByName(name, &known);
    if (code) {
      codes->push_back(*code);
    } else if (known) {
      Warn(item_path, "ignoring " + json::Quote(name) + ": memfleet never has that result");
    } else {
      return json::Error(item_path,
                         json::Quote(name) +
                             " is not an error result (one of client_error, remote_error, "
                             "timeout, connect_timeout, connect_error, tko)");
    }
  }
  return Status::Ok();
}

Status McrouterReader::ReadFailoverOptions(const Json& j, const std::string& path,
                                           FailoverErrors* errors,
                                           std::unique_ptr<FailoverRateLimiter>* limiter) {
  if (!j.is_object()) return Status::Ok();
  if (const Json* e = json::Find(j, "failover_errors")) {
    const std::string e_path = json::Key(path, "failover_errors");
    if (e->is_array()) {
      // One list for every operation class.
      std::vector<ResultCode> codes;
      if (Status st = ReadErrorList(*e, e_path, &codes); !st.ok()) return st;
      for (auto c : {FailoverErrors::OpClass::kGets, FailoverErrors::OpClass::kUpdates,
                     FailoverErrors::OpClass::kDeletes}) {
        errors->Set(c, codes);
      }
    } else if (e->is_object()) {
      for (const auto& [name, list] : e->items()) {
        FailoverErrors::OpClass c;
        if (name == "gets") {
          c = FailoverErrors::OpClass::kGets;
        } else if (name == "updates") {
          c = FailoverErrors::OpClass::kUpdates;
        } else if (name == "deletes") {
          c = FailoverErrors::OpClass::kDeletes;
        } else {
          return json::Error(
              json::Key(e_path, name),
              "unknown operation class " + json::Quote(name) + " (one of gets, updates, deletes)");
        }
        std::vector<ResultCode> codes;
        if (Status st = ReadErrorList(list, json::Key(e_path, name), &codes); !st.ok()) {
          return st;
        }
        errors->Set(c, codes);
      }
    } else {
      return json::Error(e_path, json::Expected("an array or an object", *e));
    }
  }
  if (const Json* l = json::Find(j, "failover_limit")) {
    const std::string l_path = json::Key(path, "failover_limit");
    if (!l->is_object()) return json::Error(l_path, json::Expected("an object", *l));
    const Json* rate = json::Find(*l, "rate");
    if (rate == nullptr) return json::Error(l_path, "missing required field \"rate\"");
    double r = 0;
    if (!json::ReadNumber(*rate, &r)) {
      return json::Error(json::Key(l_path, "rate"), json::Expected("a number", *rate));
    }
    double burst = FailoverRateLimiter::kDefaultBurst;
    if (const Json* b = json::Find(*l, "burst")) {
      if (!json::ReadNumber(*b, &burst)) {
        return json::Error(json::Key(l_path, "burst"), json::Expected("a number", *b));
      }
    }
    *limiter = std::make_unique<FailoverRateLimiter>(r, burst);
  }
  if (const Json* p = json::Find(j, "failover_policy")) {
    const Json* policy_type = json::Find(*p, "type");
    if (policy_type == nullptr || !policy_type->is_string() ||
        policy_type->get_ref<const std::string&>() != "InOrderPolicy") {
      Warn(json::Key(path, "failover_policy"),
           "ignoring the failover policy: children are tried in order");
    }
  }
  return Status::Ok();
}

// --- the handles

Result<RoutePtr> McrouterReader::MakeFailoverRoute(const Json& j, const std::string& path,
                                                   int depth) {
  auto children = Children("FailoverRoute", j, path, depth);
  if (!children.ok()) return children.status();
  WarnFields(j, path, "FailoverRoute",
             {"children", "failover_errors", "failover_limit", "failover_policy"});
  FailoverErrors errors;
  std::unique_ptr<FailoverRateLimiter> limiter;
  if (Status st = ReadFailoverOptions(j, path, &errors, &limiter); !st.ok()) return st;
  if (children.value().size() == 1) return std::move(children.value()[0]);  // as mcrouter
  return RoutePtr(
      std::make_shared<FailoverRoute>(std::move(children.value()), errors, std::move(limiter)));
}

Result<RoutePtr> McrouterReader::MakeMissFailoverRoute(const Json& j, const std::string& path,
                                                       int depth) {
  auto children = Children("MissFailoverRoute", j, path, depth);
  if (!children.ok()) return children.status();
  WarnFields(j, path, "MissFailoverRoute", {"children", "return_best_on_error"});
  bool best = false;
  if (const Json* b = json::Find(j, "return_best_on_error")) {
    if (!b->is_boolean()) {
      return json::Error(json::Key(path, "return_best_on_error"), json::Expected("a boolean", *b));
    }
    best = b->get<bool>();
  }
  if (children.value().size() == 1) return std::move(children.value()[0]);
  return RoutePtr(std::make_shared<MissFailoverRoute>(std::move(children.value()), best));
}

Result<RoutePtr> McrouterReader::MakeFailoverWithExptimeRoute(const Json& j,
                                                              const std::string& path, int depth) {
  if (!j.is_object()) {
    return json::Error(path, "FailoverWithExptimeRoute needs an object with \"normal\"");
  }
  WarnFields(j, path, "FailoverWithExptimeRoute",
             {"normal", "failover", "failover_exptime", "failover_errors", "failover_limit",
              "failover_policy"});
  const Json* normal_json = json::Find(j, "normal");
  if (normal_json == nullptr) return json::Error(path, "missing required field \"normal\"");
  auto normal = CreateOne(*normal_json, json::Key(path, "normal"), depth + 1);
  if (!normal.ok()) return normal.status();
  int64_t exptime = kDefaultFailoverExptime;
  if (const Json* e = json::Find(j, "failover_exptime")) {
    if (!json::ReadInt(*e, kMinExptime, kMaxExptime, &exptime)) {
      return json::Error(json::Key(path, "failover_exptime"), "expected a 32-bit integer");
    }
  }
  RouteList children{std::move(normal.value())};
  if (const Json* f = json::Find(j, "failover")) {
    auto failover = CreateList(*f, json::Key(path, "failover"), depth + 1);
    if (!failover.ok()) return failover.status();
    for (RoutePtr& r : failover.value()) {
      // As mcrouter: writes to the failover routes expire within failover_exptime; 0 or less
      // leaves their exptimes alone.
      if (exptime > 0) {
        r = std::make_shared<ModifyExptimeRoute>(std::move(r), exptime,
                                                 ModifyExptimeRoute::Action::kMin);
      }
      children.push_back(std::move(r));
    }
  }
  FailoverErrors errors;
  std::unique_ptr<FailoverRateLimiter> limiter;
  if (Status st = ReadFailoverOptions(j, path, &errors, &limiter); !st.ok()) return st;
  if (children.size() == 1) return std::move(children[0]);
  return RoutePtr(std::make_shared<FailoverRoute>(std::move(children), errors, std::move(limiter)));
}

Result<RoutePtr> McrouterReader::MakeModifyExptimeRoute(const Json& j, const std::string& path,
                                                        int depth) {
  if (!j.is_object()) {
    return json::Error(path, "ModifyExptimeRoute needs an object with \"target\" and \"exptime\"");
  }
  WarnFields(j, path, "ModifyExptimeRoute", {"target", "exptime", "action"});
  const Json* target_json = json::Find(j, "target");
  if (target_json == nullptr) return json::Error(path, "missing required field \"target\"");
  const Json* exptime_json = json::Find(j, "exptime");
  if (exptime_json == nullptr) return json::Error(path, "missing required field \"exptime\"");
  int64_t exptime = 0;
  if (!json::ReadInt(*exptime_json, kMinExptime, kMaxExptime, &exptime)) {
    return json::Error(json::Key(path, "exptime"), "expected a 32-bit integer");
  }
  auto action = ModifyExptimeRoute::Action::kSet;
  if (const Json* a = json::Find(j, "action")) {
    if (a->is_string() && a->get_ref<const std::string&>() == "min") {
      action = ModifyExptimeRoute::Action::kMin;
    } else if (!a->is_string() || a->get_ref<const std::string&>() != "set") {
      return json::Error(json::Key(path, "action"), "expected \"set\" or \"min\"");
    }
  }
  auto target = CreateOne(*target_json, json::Key(path, "target"), depth + 1);
  if (!target.ok()) return target.status();
  // min with 0 ("never expires") changes nothing.
  if (action == ModifyExptimeRoute::Action::kMin && exptime == 0) return target;
  return RoutePtr(std::make_shared<ModifyExptimeRoute>(std::move(target.value()), exptime, action));
}

Result<RoutePtr> McrouterReader::MakeWarmUpRoute(const Json& j, const std::string& path,
                                                 int depth) {
  if (!j.is_object()) {
    return json::Error(path, "WarmUpRoute needs an object with \"cold\" and \"warm\"");
  }
  WarnFields(j, path, "WarmUpRoute", {"cold", "warm", "exptime", "enable_metaget"});
  const Json* cold_json = json::Find(j, "cold");
  if (cold_json == nullptr) return json::Error(path, "missing required field \"cold\"");
  const Json* warm_json = json::Find(j, "warm");
  if (warm_json == nullptr) return json::Error(path, "missing required field \"warm\"");
  int64_t exptime = 0;
  if (const Json* e = json::Find(j, "exptime")) {
    if (!json::ReadInt(*e, 0, kMaxExptime, &exptime)) {
      return json::Error(json::Key(path, "exptime"), "expected an integer from 0 to 2147483647");
    }
  }
  if (const Json* m = json::Find(j, "enable_metaget")) {
    if (!m->is_boolean()) {
      return json::Error(json::Key(path, "enable_metaget"), json::Expected("a boolean", *m));
    }
    if (m->get<bool>() && json::Find(j, "exptime") == nullptr) {
      Warn(json::Key(path, "enable_metaget"),
           "ignored: values added to cold get \"exptime\" (0: never expire), not warm's");
    }
  }
  auto cold = CreateOne(*cold_json, json::Key(path, "cold"), depth + 1);
  if (!cold.ok()) return cold.status();
  auto warm = CreateOne(*warm_json, json::Key(path, "warm"), depth + 1);
  if (!warm.ok()) return warm.status();
  return RoutePtr(
      std::make_shared<WarmUpRoute>(std::move(cold.value()), std::move(warm.value()), exptime));
}

// --- shadows

Result<ShadowRoute::Shadow> McrouterReader::ReadShadow(const Json& j, const std::string& path,
                                                       int depth) {
  if (!j.is_object()) return json::Error(path, json::Expected("an object", j));
  ShadowRoute::Shadow shadow;
  for (const auto& [key, value] : j.items()) {
    if (key != "target" && key != "index_range" && key != "key_fraction_range" &&
        key != "requests_fraction") {
      Warn(json::Key(path, key), "ignoring " + json::Quote(key) + " of a shadow (not supported)");
    }
  }
  const Json* target = json::Find(j, "target");
  if (target == nullptr) return json::Error(path, "missing required field \"target\"");
  auto route = CreateOne(*target, json::Key(path, "target"), depth + 1);
  if (!route.ok()) return route.status();
  shadow.target = std::move(route.value());

  if (const Json* r = json::Find(j, "index_range")) {
    const std::string r_path = json::Key(path, "index_range");
    int64_t from = 0, to = 0;
    if (!r->is_array() || r->size() != 2 ||
        !json::ReadInt((*r)[0], 0, std::numeric_limits<int32_t>::max(), &from) ||
        !json::ReadInt((*r)[1], 0, std::numeric_limits<int32_t>::max(), &to)) {
      return json::Error(r_path, "expected [start, end]: two integers >= 0");
    }
    if (from > to) return json::Error(r_path, "start is greater than end");
    shadow.index_begin = static_cast<size_t>(from);
    shadow.index_end = static_cast<size_t>(to);
  } else {
    Warn(path, "shadows no request: it has no \"index_range\" (as in mcrouter)");
  }
  double from = 0, to = 0;
  if (const Json* r = json::Find(j, "key_fraction_range")) {
    const std::string r_path = json::Key(path, "key_fraction_range");
    if (!r->is_array() || r->size() != 2 || !json::ReadNumber((*r)[0], &from) ||
        !json::ReadNumber((*r)[1], &to)) {
      return json::Error(r_path, "expected [from, to]: two numbers");
    }
    if (!(0 <= from && from <= to && to <= 1)) {
      return json::Error(r_path, "expected 0 <= from <= to <= 1");
    }
  } else {
    Warn(path, "shadows almost no key: it has no \"key_fraction_range\" (as in mcrouter)");
  }
  ShadowRoute::SetKeyFractionRange(from, to, &shadow);
  if (const Json* f = json::Find(j, "requests_fraction")) {
    if (!json::ReadNumber(*f, &shadow.requests_fraction) || shadow.requests_fraction < 0 ||
        shadow.requests_fraction > 1) {
      return json::Error(json::Key(path, "requests_fraction"), "expected a number from 0 to 1");
    }
  }
  return shadow;
}

Result<RoutePtr> McrouterReader::WrapShadows(RoutePtr normal, const Json& shadows,
                                             const std::string& shadows_path, int depth) {
  if (!shadows.is_array()) return json::Error(shadows_path, json::Expected("an array", shadows));
  if (shadows.size() > ShadowRoute::kMaxShadows) {
    return json::Error(shadows_path,
                       "more than " + std::to_string(ShadowRoute::kMaxShadows) + " shadows");
  }
  std::vector<ShadowRoute::Shadow> list;
  for (size_t i = 0; i < shadows.size(); ++i) {
    auto s = ReadShadow(shadows[i], json::Index(shadows_path, i), depth + 1);
    if (!s.ok()) return s.status();
    list.push_back(std::move(s.value()));
  }
  if (list.empty()) return normal;
  return RoutePtr(std::make_shared<ShadowRoute>(std::move(normal), std::move(list)));
}

Result<std::vector<RoutePtr>> McrouterReader::MakeShadowRoutes(const Json& j,
                                                               const std::string& path, int depth) {
  if (!j.is_object()) {
    return json::Error(path, "ShadowRoute needs an object with \"shadows\"");
  }
  WarnFields(j, path, "ShadowRoute", {"children", "default", "shadows", "shadow_policy"});
  const Json* shadows = json::Find(j, "shadows");
  if (shadows == nullptr) return json::Error(path, "missing required field \"shadows\"");
  const std::string shadows_path = json::Key(path, "shadows");
  if (const Json* p = json::Find(j, "shadow_policy")) {
    if (!p->is_string() || p->get_ref<const std::string&>() != "default") {
      Warn(json::Key(path, "shadow_policy"), "ignored: shadows get the request as it is");
    }
  }
  const Json* children_json = json::Find(j, "children");
  const Json* default_json = json::Find(j, "default");
  if ((children_json == nullptr) == (default_json == nullptr)) {
    return json::Error(path, "ShadowRoute needs one of \"children\" and \"default\"");
  }
  if (default_json != nullptr) {
    auto normal = CreateOne(*default_json, json::Key(path, "default"), depth + 1);
    if (!normal.ok()) return normal.status();
    auto wrapped = WrapShadows(std::move(normal.value()), *shadows, shadows_path, depth);
    if (!wrapped.ok()) return wrapped.status();
    return RouteList{std::move(wrapped.value())};
  }
  // mcrouter's form: child i takes the shadows whose index_range holds i.
  auto children = CreateList(*children_json, json::Key(path, "children"), depth + 1);
  if (!children.ok()) return children.status();
  if (!shadows->is_array()) return json::Error(shadows_path, json::Expected("an array", *shadows));
  if (shadows->size() > ShadowRoute::kMaxShadows) {
    return json::Error(shadows_path,
                       "more than " + std::to_string(ShadowRoute::kMaxShadows) + " shadows");
  }
  std::vector<ShadowRoute::Shadow> all;
  for (size_t i = 0; i < shadows->size(); ++i) {
    auto s = ReadShadow((*shadows)[i], json::Index(shadows_path, i), depth + 1);
    if (!s.ok()) return s.status();
    all.push_back(std::move(s.value()));
  }
  RouteList out = std::move(children.value());
  for (size_t i = 0; i < out.size(); ++i) {
    std::vector<ShadowRoute::Shadow> mine;
    for (const ShadowRoute::Shadow& s : all) {
      if (s.index_begin <= i && i < s.index_end) {
        ShadowRoute::Shadow copy = s;
        // The child itself is the position: every request it gets is in range.
        copy.index_begin = 0;
        copy.index_end = std::numeric_limits<size_t>::max();
        mine.push_back(std::move(copy));
      }
    }
    if (!mine.empty()) out[i] = std::make_shared<ShadowRoute>(std::move(out[i]), std::move(mine));
  }
  return out;
}

}  // namespace memfleet::router
