// CpuParams: the editable parameter table of one LLVM x86 CPU scheduling model.
//
// Everything llvm-mca's pipeline reads from a CPU model, as plain values:
//  - global: dispatch/issue width, micro-op buffer (scheduler window), reorder
//    buffer, retire width, load/store queue sizes, ...;
//  - resources: execution ports, port groups and other units (count, buffer);
//  - register files: physical registers and move elimination;
//  - one SchedRow per opcode (DiffTune's granularity): micro-ops, latency per
//    defined value, cycles on each port *and* port group, ReadAdvance per read
//    operand;
//  - one SchedRow per LLVM scheduling class, used only where an opcode's class
//    is a *variant* resolved per instruction (e.g. zero idioms), which LLVM
//    resolves to one of these classes.
//
// Port cycles are stored *explicit*: {HWPort0: 1} means the micro-op uses port
// 0 for one cycle. LLVM's tables store them expanded over every group that
// contains the port; Stock extraction un-expands exactly as llvm-mca does, and
// materialisation re-expands (the round trip is exact, tested on every CPU).
//
// Units: cycles are core clock cycles; sizes are entries (micro-ops or
// instructions as LLVM defines them for that field).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace surrogate::mca {

// Cycles a micro-op holds one resource (LLVM: ReleaseAtCycle, AcquireAtCycle).
struct PortCycles {
  std::uint16_t cycles = 0;      // explicit cycles on this resource
  std::uint16_t acquire_at = 0;  // cycle at which it is acquired (0 on x86 models)
  bool operator==(const PortCycles&) const = default;
};

// Latency of one value an instruction defines (LLVM: MCWriteLatencyEntry).
struct WriteLatency {
  std::int16_t cycles = 0;
  std::uint16_t write_id = 0;  // SchedWrite id, matched by ReadAdvance entries (0 = any)
  bool operator==(const WriteLatency&) const = default;
};

// Cycles a read operand may start early (LLVM: MCReadAdvanceEntry).
struct ReadAdvance {
  unsigned operand = 0;   // index of the read among the instruction's uses
  unsigned write_id = 0;  // applies to values from writes with this id (0 = any)
  int cycles = 0;
  bool operator==(const ReadAdvance&) const = default;
};

struct SchedRow {
  std::string sched_class;  // LLVM scheduling class it came from (informative)
  unsigned micro_ops = 0;
  bool begin_group = false, end_group = false, retire_ooo = false;
  std::map<unsigned, PortCycles> ports;  // resource index -> explicit cycles
  // True where LLVM's table cannot be written as explicit cycles that
  // re-expand to it exactly (a few AMD bdver classes): `ports` then holds
  // LLVM's expanded entries verbatim and is used as is.
  bool ports_expanded = false;
  std::vector<WriteLatency> latencies;  // one per defined value, in LLVM's order
  std::vector<ReadAdvance> read_advances;
  bool operator==(const SchedRow&) const = default;
};

struct Resource {
  std::string name;               // e.g. "HWPort0", "HWPort0156"
  unsigned units = 1;             // NumUnits; for a group, the number of member units
  int buffer_size = -1;           // scheduler entries; -1 unified reservation station, 0 in-order
  unsigned super_idx = 0;         // LLVM SuperIdx (0 = none)
  std::vector<unsigned> members;  // for a group: the member resources' indices
  bool is_group() const { return !members.empty(); }
};

struct RegisterFile {
  std::string name;
  unsigned physical_registers = 0;  // 0 = unbounded
  unsigned max_moves_eliminated_per_cycle = 0;
  bool zero_move_elimination_only = false;
};

struct GlobalParams {
  unsigned dispatch_width = 0;        // micro-ops dispatched per cycle (llvm-mca -dispatch)
  unsigned issue_width = 0;           // the model's IssueWidth
  unsigned micro_op_buffer_size = 0;  // 0/1 = in-order
  unsigned loop_micro_op_buffer_size = 0;
  unsigned reorder_buffer_size = 0;   // 0 = micro_op_buffer_size
  unsigned max_retire_per_cycle = 0;  // 0 = unbounded
  unsigned load_queue_size = 0;       // 0 = unbounded
  unsigned store_queue_size = 0;      // 0 = unbounded
  unsigned load_latency = 0;
  unsigned high_latency = 0;
  unsigned mispredict_penalty = 0;
  unsigned micro_op_queue_size = 0;  // llvm-mca -micro-op-queue-size (0 = none)
  unsigned decoder_throughput = 0;   // llvm-mca -decoder-throughput (0 = none)
  bool operator==(const GlobalParams&) const = default;
};

struct CpuParams {
  std::string cpu;          // LLVM CPU name, e.g. "haswell"
  std::string sched_model;  // identifier of the LLVM scheduling model (see cpu_catalog.h)
  GlobalParams global;
  std::vector<Resource> resources;  // index = LLVM resource index (0 is LLVM's invalid entry)
  unsigned load_queue_resource = 0, store_queue_resource = 0;  // resource indices, 0 = none
  std::vector<RegisterFile> register_files;                    // index 0 is LLVM's default file
  std::vector<SchedRow> classes;                               // index = LLVM scheduling class index
  std::vector<bool> class_is_variant;                          // resolved per instruction by LLVM
  std::vector<bool> class_is_valid;                            // false: unsupported on this CPU
  // Per-opcode rows, for every opcode whose class is valid and not variant.
  std::map<unsigned, SchedRow> opcodes;

  // LLVM's own values for `cpu`; throws std::runtime_error if LLVM does not
  // know the CPU or it has no instruction scheduling model.
  static CpuParams stock(const std::string& cpu);

  int find_resource(const std::string& name) const;  // -1 if none

  // A copy with only the opcode rows of `opcodes` (e.g. the opcodes of the
  // blocks about to be simulated). Simulating those blocks gives the same
  // cycles as with the whole table, and a Simulator of the copy is built
  // 7.7x faster (haswell: 19,421 opcode rows -> a few; 49.5 -> 6.4 ms,
  // BENCHMARKS.md): the cheap way to simulate many parameter sets. Other
  // opcodes fall back to their class row.
  CpuParams only_opcodes(const std::set<unsigned>& opcodes) const;
};

// Valid ranges of the editable values (inclusive; LLVM's table field widths).
inline constexpr long long kMaxMicroOps = 8189;     // SchedRow::micro_ops in [0, kMaxMicroOps]
inline constexpr long long kMaxLatency = 32767;     // WriteLatency::cycles in [0, kMaxLatency]
inline constexpr long long kMaxReadAdvance = 1000;  // ReadAdvance::cycles in [-kMaxReadAdvance, kMaxReadAdvance]
inline constexpr long long kMaxPortCycles = 65535;  // PortCycles::cycles in [0, kMaxPortCycles]; 0 = unused
inline constexpr long long kMaxGlobal = 65535;      // every GlobalParams field <= kMaxGlobal (dispatch and
                                                    // issue width >= 1, the others >= 0)

// The unique name of each class row, as params files key it: the LLVM class
// name, with "#index" appended where the name is empty or not unique.
std::vector<std::string> class_keys(const CpuParams& params);

// Explicit <-> LLVM's expanded port cycles, over a model's resources.
// expanded: entries as in LLVM's WriteProcRes table (sorted by index).
std::map<unsigned, PortCycles> explicit_port_cycles(const std::vector<Resource>& resources,
                                                    const std::vector<std::pair<unsigned, PortCycles>>& expanded);
std::vector<std::pair<unsigned, PortCycles>> expanded_port_cycles(const std::vector<Resource>& resources,
                                                                  const std::map<unsigned, PortCycles>& explicit_);

}  // namespace surrogate::mca
