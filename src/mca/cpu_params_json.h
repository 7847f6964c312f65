// CpuParams <-> versioned JSON ("format": "surrogate-cpu-params", "version": 1).
//
// The dump is complete and deterministic (same params, same bytes): keys
// sorted, one opcode or class row per line. Loading starts from LLVM's stock
// values for the file's "cpu" and applies what the file gives, so a file may
// hold only the fields it changes; within a row, a given "ports", "latency"
// or "read_advance" replaces the stock list entirely. Unknown fields, names
// and out-of-range values are errors naming the field.
//
// Row: {"class": "WriteALU", "micro_ops": 1, "latency": [[cycles, write_id], ...],
//       "ports": {"HWPort0156": cycles | [cycles, acquire_at]},  (or "ports_expanded": LLVM's
//                  expanded entries verbatim, for the few rows explicit cycles cannot express)
//       "read_advance": [[operand, write_id, cycles], ...],
//       "begin_group": true, "end_group": true, "retire_ooo": true}   (flags only when true)
#pragma once

#include <string>

#include "mca/cpu_params.h"

namespace surrogate::mca {

inline constexpr int kCpuParamsVersion = 1;

std::string params_to_json(const CpuParams& params);

// Only what `params` changes from `base` (both of the same CPU; base is
// normally CpuParams::stock(params.cpu)): the header, then the global
// fields, resources, register files and whole opcode/class rows that differ,
// in the dump's layout. Loading it gives `params` back when base is LLVM's
// table; it reads as a patch of the scheduling model (what `tune` writes).
std::string params_changes_to_json(const CpuParams& params, const CpuParams& base);

// `input` names the source in errors; throws InputError.
CpuParams params_from_json(const std::string& text, const std::string& input);

// Reads a file (throws std::runtime_error if it cannot be read, InputError if it is invalid).
CpuParams load_params(const std::string& path);

}  // namespace surrogate::mca
