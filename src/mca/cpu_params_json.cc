#include "mca/cpu_params_json.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "block/x86_target.h"
#include "llvm/Config/llvm-config.h"
#include "util/atomic_file.h"
#include "util/input_error.h"

namespace surrogate::mca {

using nlohmann::json;

namespace {

const char kFormat[] = "surrogate-cpu-params";

json row_to_json(const SchedRow& row, const std::vector<Resource>& resources) {
  json j = json::object();
  j["class"] = row.sched_class;
  j["micro_ops"] = row.micro_ops;
  j["latency"] = json::array();
  for (const WriteLatency& w : row.latencies) j["latency"].push_back({w.cycles, w.write_id});
  const char* ports_key = row.ports_expanded ? "ports_expanded" : "ports";
  j[ports_key] = json::object();
  for (auto& [index, pc] : row.ports) {
    if (pc.acquire_at)
      j[ports_key][resources[index].name] = {pc.cycles, pc.acquire_at};
    else
      j[ports_key][resources[index].name] = pc.cycles;
  }
  j["read_advance"] = json::array();
  for (const ReadAdvance& r : row.read_advances) j["read_advance"].push_back({r.operand, r.write_id, r.cycles});
  if (row.begin_group) j["begin_group"] = true;
  if (row.end_group) j["end_group"] = true;
  if (row.retire_ooo) j["retire_ooo"] = true;
  return j;
}

// Class keys: the LLVM name, suffixed "#index" where names repeat.
bool is_queue(const CpuParams& p, std::size_t i) {
  return i && (i == p.load_queue_resource || i == p.store_queue_resource);
}

json global_to_json(const GlobalParams& g) {
  return json{{"dispatch_width", g.dispatch_width},
              {"issue_width", g.issue_width},
              {"micro_op_buffer_size", g.micro_op_buffer_size},
              {"loop_micro_op_buffer_size", g.loop_micro_op_buffer_size},
              {"reorder_buffer_size", g.reorder_buffer_size},
              {"max_retire_per_cycle", g.max_retire_per_cycle},
              {"load_queue_size", g.load_queue_size},
              {"store_queue_size", g.store_queue_size},
              {"load_latency", g.load_latency},
              {"high_latency", g.high_latency},
              {"mispredict_penalty", g.mispredict_penalty},
              {"micro_op_queue_size", g.micro_op_queue_size},
              {"decoder_throughput", g.decoder_throughput}};
}

// --- loading ---------------------------------------------------------------

struct Loader {
  std::string input;

  [[noreturn]] void fail(const std::string& field, const std::string& why) const {
    throw util::InputError({input}, "field '" + field + "': " + why);
  }
  void expect_object(const json& j, const std::string& field) const {
    if (!j.is_object()) fail(field, "expected an object");
  }
  void expect_array(const json& j, const std::string& field) const {
    if (!j.is_array()) fail(field, "expected an array");
  }
  long long integer(const json& j, const std::string& field, long long lo, long long hi) const {
    if (!j.is_number_integer()) fail(field, "expected an integer");
    long long v = j.get<long long>();
    if (v < lo || v > hi)
      fail(field, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }
  bool boolean(const json& j, const std::string& field) const {
    if (!j.is_boolean()) fail(field, "expected true or false");
    return j.get<bool>();
  }

  void apply_row(const json& j, const std::string& field, SchedRow& row, const CpuParams& p) const {
    expect_object(j, field);
    for (auto& [key, value] : j.items()) {
      std::string f = field + "." + key;
      if (key == "class") {
        if (!value.is_string()) fail(f, "expected a string");
      } else if (key == "micro_ops") {
        row.micro_ops = static_cast<unsigned>(integer(value, f, 0, kMaxMicroOps));
      } else if (key == "begin_group") {
        row.begin_group = boolean(value, f);
      } else if (key == "end_group") {
        row.end_group = boolean(value, f);
      } else if (key == "retire_ooo") {
        row.retire_ooo = boolean(value, f);
      } else if (key == "latency") {
        expect_array(value, f);
        row.latencies.clear();
        for (std::size_t i = 0; i < value.size(); ++i) {
          std::string fi = f + "[" + std::to_string(i) + "]";
          if (!value[i].is_array() || value[i].size() != 2) fail(fi, "expected [cycles, write_id]");
          row.latencies.push_back({static_cast<std::int16_t>(integer(value[i][0], fi + "[0]", 0, kMaxLatency)),
                                   static_cast<std::uint16_t>(integer(value[i][1], fi + "[1]", 0, 65535))});
        }
      } else if (key == "read_advance") {
        expect_array(value, f);
        row.read_advances.clear();
        for (std::size_t i = 0; i < value.size(); ++i) {
          std::string fi = f + "[" + std::to_string(i) + "]";
          if (!value[i].is_array() || value[i].size() != 3) fail(fi, "expected [operand, write_id, cycles]");
          row.read_advances.push_back(
              {static_cast<unsigned>(integer(value[i][0], fi + "[0]", 0, 255)),
               static_cast<unsigned>(integer(value[i][1], fi + "[1]", 0, 65535)),
               static_cast<int>(integer(value[i][2], fi + "[2]", -kMaxReadAdvance, kMaxReadAdvance))});
        }
      } else if (key == "ports" || key == "ports_expanded") {
        expect_object(value, f);
        row.ports.clear();
        row.ports_expanded = key == "ports_expanded";
        for (auto& [name, cycles] : value.items()) {
          std::string fp = f + "." + name;
          int index = p.find_resource(name);
          if (index < 0) fail(fp, "unknown resource '" + name + "' for " + p.cpu);
          PortCycles pc;
          if (cycles.is_array()) {
            if (cycles.size() != 2) fail(fp, "expected cycles or [cycles, acquire_at]");
            pc.cycles = static_cast<std::uint16_t>(integer(cycles[0], fp + "[0]", 0, kMaxPortCycles));
            pc.acquire_at = static_cast<std::uint16_t>(integer(cycles[1], fp + "[1]", 0, 65535));
          } else {
            pc.cycles = static_cast<std::uint16_t>(integer(cycles, fp, 0, kMaxPortCycles));
          }
          if (pc.cycles || row.ports_expanded) row.ports[static_cast<unsigned>(index)] = pc;
        }
      } else {
        fail(f, "unknown field");
      }
    }
  }

  void apply_global(const json& j, GlobalParams& g) const {
    expect_object(j, "global");
    const std::map<std::string, std::pair<unsigned*, long long>> fields{
        {"dispatch_width", {&g.dispatch_width, 1}},
        {"issue_width", {&g.issue_width, 1}},
        {"micro_op_buffer_size", {&g.micro_op_buffer_size, 0}},
        {"loop_micro_op_buffer_size", {&g.loop_micro_op_buffer_size, 0}},
        {"reorder_buffer_size", {&g.reorder_buffer_size, 0}},
        {"max_retire_per_cycle", {&g.max_retire_per_cycle, 0}},
        {"load_queue_size", {&g.load_queue_size, 0}},
        {"store_queue_size", {&g.store_queue_size, 0}},
        {"load_latency", {&g.load_latency, 0}},
        {"high_latency", {&g.high_latency, 0}},
        {"mispredict_penalty", {&g.mispredict_penalty, 0}},
        {"micro_op_queue_size", {&g.micro_op_queue_size, 0}},
        {"decoder_throughput", {&g.decoder_throughput, 0}},
    };
    for (auto& [key, value] : j.items()) {
      auto it = fields.find(key);
      if (it == fields.end()) fail("global." + key, "unknown field");
      *it->second.first = static_cast<unsigned>(integer(value, "global." + key, it->second.second, kMaxGlobal));
    }
  }
};

std::pair<std::size_t, std::size_t> line_and_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, column = 0;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

namespace {

// The members of `object` whose values differ from those in `base` (all of
// them when base is null or not an object).
json changed_members(const json& object, const json* base) {
  if (!base || !base->is_object()) return object;
  json out = json::object();
  for (auto& [key, value] : object.items())
    if (!base->contains(key) || (*base)[key] != value) out[key] = value;
  return out;
}

// The params file of `p`; with `base`, only what differs from it (sections
// with nothing changed are left out, "opcodes" and "classes" stay).
std::string params_json(const CpuParams& p, const CpuParams* base) {
  std::string out = "{\n";
  auto field = [&](const std::string& key, const json& value, bool last = false) {
    out += "  " + json(key).dump() + ": " + value.dump() + (last ? "\n" : ",\n");
  };
  field("format", kFormat);
  field("version", kCpuParamsVersion);
  field("llvm", LLVM_VERSION_STRING);
  field("cpu", p.cpu);
  field("sched_model", p.sched_model);
  const json base_global = base ? global_to_json(base->global) : json();
  const json global = changed_members(global_to_json(p.global), base ? &base_global : nullptr);
  if (!base || !global.empty()) field("global", global);

  auto resource_json = [](const CpuParams& q, std::size_t i) {
    const Resource& r = q.resources[i];
    json jr{{"units", r.units}, {"buffer_size", r.buffer_size}};
    if (is_queue(q, i)) {  // its size is global.load_queue_size / store_queue_size
      jr.erase("buffer_size");
      jr["queue"] = i == q.load_queue_resource ? "load" : "store";
    }
    if (r.is_group()) {
      jr["members"] = json::array();
      for (unsigned m : r.members) jr["members"].push_back(q.resources[m].name);
    }
    return jr;
  };
  json resources = json::object();
  for (std::size_t i = 1; i < p.resources.size(); ++i) {
    const json base_jr = base ? resource_json(*base, i) : json();
    const json jr = changed_members(resource_json(p, i), base ? &base_jr : nullptr);
    if (!base || !jr.empty()) resources[p.resources[i].name] = jr;
  }
  if (!base || !resources.empty()) {
    out += "  \"resources\": {\n";
    std::size_t n = 0;
    for (auto& [name, value] : resources.items())
      out += "    " + json(name).dump() + ": " + value.dump() + (++n < resources.size() ? ",\n" : "\n");
    out += "  },\n";
  }

  auto file_json = [](const RegisterFile& f) {
    return json{{"physical_registers", f.physical_registers},
                {"max_moves_eliminated_per_cycle", f.max_moves_eliminated_per_cycle},
                {"zero_move_elimination_only", f.zero_move_elimination_only}};
  };
  json files = json::object();
  for (std::size_t i = 0; i < p.register_files.size(); ++i) {
    const json base_jf = base ? file_json(base->register_files[i]) : json();
    const json jf = changed_members(file_json(p.register_files[i]), base ? &base_jf : nullptr);
    if (!base || !jf.empty()) files[p.register_files[i].name] = jf;
  }
  if (!base || !files.empty()) field("register_files", files);

  auto rows = [&](const std::string& key, const std::map<std::string, const SchedRow*>& sorted, bool last) {
    out += "  " + json(key).dump() + ": {\n";
    std::size_t i = 0;
    for (auto& [name, row] : sorted)
      out += "    " + json(name).dump() + ": " + row_to_json(*row, p.resources).dump() +
             (++i < sorted.size() ? ",\n" : "\n");
    out += last ? "  }\n" : "  },\n";
  };
  const block::X86Target& x86 = block::X86Target::get();
  std::map<std::string, const SchedRow*> opcodes;
  for (auto& [op, row] : p.opcodes) {
    const auto it = base ? base->opcodes.find(op) : p.opcodes.end();
    if (!base || it == base->opcodes.end() || it->second != row) opcodes[x86.opcode_name(op)] = &row;
  }
  rows("opcodes", opcodes, false);
  std::map<std::string, const SchedRow*> classes;
  std::vector<std::string> keys = class_keys(p);
  for (std::size_t c = 0; c < p.classes.size(); ++c)
    if (p.class_is_valid[c] && !p.class_is_variant[c] && (!base || p.classes[c] != base->classes[c]))
      classes[keys[c]] = &p.classes[c];
  rows("classes", classes, true);
  out += "}\n";
  return out;
}

}  // namespace

std::string params_to_json(const CpuParams& p) { return params_json(p, nullptr); }

std::string params_changes_to_json(const CpuParams& p, const CpuParams& base) {
  if (p.sched_model != base.sched_model || p.resources.size() != base.resources.size() ||
      p.register_files.size() != base.register_files.size() || p.classes.size() != base.classes.size())
    throw std::invalid_argument("params_changes_to_json: parameters of " + p.cpu + " against a table of " + base.cpu);
  return params_json(p, &base);
}

CpuParams params_from_json(const std::string& text, const std::string& input) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    auto [line, column] = line_and_column(text, e.byte ? e.byte - 1 : 0);
    std::string what = e.what();
    auto colon = what.find("syntax error");
    throw util::InputError({input, line, column},
                           "invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon)));
  } catch (const json::exception& e) {
    // Not a syntax error but still the text's fault, e.g. a number too
    // large for a double (out_of_range; found by the params_json fuzz target).
    throw util::InputError({input}, std::string("invalid JSON: ") + e.what());
  }
  Loader L{input};
  L.expect_object(j, "<top>");
  if (!j.contains("format") || j["format"] != kFormat) L.fail("format", std::string("expected \"") + kFormat + "\"");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kCpuParamsVersion)
    L.fail("version", "expected " + std::to_string(kCpuParamsVersion));
  if (!j.contains("cpu") || !j["cpu"].is_string()) L.fail("cpu", "expected the CPU name");
  if (j.contains("llvm")) {
    std::string v = j["llvm"].is_string() ? j["llvm"].get<std::string>() : "";
    if (v.substr(0, v.find('.')) != std::to_string(LLVM_VERSION_MAJOR))
      L.fail("llvm", "made with LLVM '" + v + "', this build uses LLVM " + LLVM_VERSION_STRING);
  }
  CpuParams p;
  try {
    p = CpuParams::stock(j["cpu"].get<std::string>());
  } catch (const std::runtime_error& e) {
    L.fail("cpu", e.what());
  }
  const block::X86Target& x86 = block::X86Target::get();
  for (auto& [key, value] : j.items()) {
    if (key == "format" || key == "version" || key == "cpu" || key == "llvm") continue;
    if (key == "sched_model") {
      if (value != p.sched_model)
        L.fail(key, "is '" + value.dump() + "' but " + p.cpu + " uses '" + p.sched_model + "'");
    } else if (key == "global") {
      L.apply_global(value, p.global);
    } else if (key == "resources") {
      L.expect_object(value, key);
      for (auto& [name, jr] : value.items()) {
        std::string f = "resources." + name;
        int index = p.find_resource(name);
        if (index < 0) L.fail(f, "unknown resource for " + p.cpu);
        Resource& r = p.resources[index];
        L.expect_object(jr, f);
        for (auto& [k, v] : jr.items()) {
          if (k == "units") {
            unsigned units = static_cast<unsigned>(L.integer(v, f + ".units", 1, 1024));
            if (r.is_group() && units != r.members.size())
              L.fail(f + ".units", "a group's units are its members (" + std::to_string(r.members.size()) + ")");
            r.units = units;
          } else if (k == "queue") {
            if (!is_queue(p, index) || v != (index == static_cast<int>(p.load_queue_resource) ? "load" : "store"))
              L.fail(f + ".queue", "does not match the model");
          } else if (k == "buffer_size") {
            if (is_queue(p, index))
              L.fail(f + ".buffer_size", "is a queue: set global.load_queue_size or global.store_queue_size");
            r.buffer_size = static_cast<int>(L.integer(v, f + ".buffer_size", -1, 65535));
          } else if (k == "members") {
            std::vector<std::string> names;
            for (unsigned m : r.members) names.push_back(p.resources[m].name);
            if (v != json(names)) L.fail(f + ".members", "group members cannot be changed");
          } else {
            L.fail(f + "." + k, "unknown field");
          }
        }
      }
    } else if (key == "register_files") {
      L.expect_object(value, key);
      for (auto& [name, jf] : value.items()) {
        std::string f = "register_files." + name;
        RegisterFile* file = nullptr;
        for (RegisterFile& rf : p.register_files)
          if (rf.name == name) file = &rf;
        if (!file) L.fail(f, "unknown register file for " + p.cpu);
        L.expect_object(jf, f);
        for (auto& [k, v] : jf.items()) {
          if (k == "physical_registers")
            file->physical_registers = static_cast<unsigned>(L.integer(v, f + "." + k, 0, 65535));
          else if (k == "max_moves_eliminated_per_cycle")
            file->max_moves_eliminated_per_cycle = static_cast<unsigned>(L.integer(v, f + "." + k, 0, 65535));
          else if (k == "zero_move_elimination_only")
            file->zero_move_elimination_only = L.boolean(v, f + "." + k);
          else
            L.fail(f + "." + k, "unknown field");
        }
      }
    } else if (key == "opcodes") {
      L.expect_object(value, key);
      for (auto& [name, row] : value.items()) {
        int op = x86.find_opcode(name);
        std::string f = "opcodes." + name;
        if (op < 0) L.fail(f, "unknown opcode");
        auto it = p.opcodes.find(static_cast<unsigned>(op));
        if (it == p.opcodes.end()) L.fail(f, "has no row of its own on " + p.cpu + " (unsupported or a variant class)");
        L.apply_row(row, f, it->second, p);
      }
    } else if (key == "classes") {
      L.expect_object(value, key);
      std::vector<std::string> keys = class_keys(p);
      std::map<std::string, std::size_t> index;
      for (std::size_t c = 0; c < keys.size(); ++c)
        if (p.class_is_valid[c] && !p.class_is_variant[c]) index[keys[c]] = c;
      for (auto& [name, row] : value.items()) {
        auto it = index.find(name);
        if (it == index.end()) L.fail("classes." + name, "unknown scheduling class for " + p.cpu);
        L.apply_row(row, "classes." + name, p.classes[it->second], p);
      }
    } else {
      L.fail(key, "unknown field");
    }
  }
  return p;
}

CpuParams load_params(const std::string& path) { return params_from_json(util::read_file(path), path); }

}  // namespace surrogate::mca
