#include "block/elf_reader.h"

#include <algorithm>
#include <map>
#include <set>

#include "block/decoder.h"
#include "block/liveness.h"
#include "block/x86_target.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/Error.h"
#include "util/input_error.h"

namespace surrogate::block {

bool is_elf(const std::string& head) {
  return head.size() >= 4 && head.compare(0, 4,
                                          "\x7f"
                                          "ELF") == 0;
}

namespace {

struct Decoded {
  std::uint64_t offset;  // within the section
  std::size_t size;
  llvm::MCInst inst;
};

bool is_padding(const llvm::MCInst& inst) {
  llvm::StringRef name = X86Target::get().instr_info().getName(inst.getOpcode());
  return name.starts_with("NOOP") || name == "INT3" || name.starts_with("NOP");
}

// Offsets in `text` that a relocation patches, sorted. Read through
// ELFFile's checked accessors: SectionRef::relocations() calls
// report_fatal_error on a malformed relocation section (found by fuzzing).
std::vector<std::uint64_t> relocated_offsets(const llvm::object::ObjectFile& object,
                                             const llvm::object::SectionRef& text, const std::string& path) {
  std::vector<std::uint64_t> offsets;
  const auto* elf64 = llvm::dyn_cast<llvm::object::ELF64LEObjectFile>(&object);
  if (!elf64) return offsets;  // x86-64 ELF is 64-bit little-endian (checked by the caller)
  const auto& file = elf64->getELFFile();
  auto sections = file.sections();
  if (!sections) throw util::InputError({path, 0, 0}, llvm::toString(sections.takeError()));
  const std::uint64_t text_index = text.getIndex();
  for (const auto& header : *sections) {
    if (header.sh_info != text_index) continue;
    auto bad = [&](llvm::Error e) {
      return util::InputError({path, 0, static_cast<std::size_t>(header.sh_offset)},
                              "bad relocation section: " + llvm::toString(std::move(e)));
    };
    if (header.sh_type == llvm::ELF::SHT_RELA) {
      auto relas = file.relas(header);
      if (!relas) throw bad(relas.takeError());
      for (const auto& r : *relas) offsets.push_back(r.r_offset);
    } else if (header.sh_type == llvm::ELF::SHT_REL) {
      auto rels = file.rels(header);
      if (!rels) throw bad(rels.takeError());
      for (const auto& r : *rels) offsets.push_back(r.r_offset);
    }
  }
  std::sort(offsets.begin(), offsets.end());
  return offsets;
}

}  // namespace

BlockFile read_elf(const std::string& path, bool liveness) {
  auto object_or = llvm::object::ObjectFile::createObjectFile(path);
  if (!object_or) throw util::InputError({path, 0, 0}, llvm::toString(object_or.takeError()));
  const llvm::object::ObjectFile& object = *object_or->getBinary();
  if (object.getArch() != llvm::Triple::x86_64)
    throw util::InputError({path, 0, 0}, "not an x86-64 object (architecture " +
                                             llvm::Triple::getArchTypeName(object.getArch()).str() + ")");
  const auto* elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(&object);
  if (!elf) throw util::InputError({path, 0, 0}, "not an ELF file");

  // Symbol tables must lie inside the file: LLVM walks sh_size / 24 entries
  // of a table without checking, so a lying header (sh_size = 2^44) would
  // run for hours.
  const std::uint64_t file_size = object.getData().size();
  for (const llvm::object::SectionRef& section : object.sections()) {
    const llvm::object::ELFSectionRef elf_section(section);
    if (elf_section.getType() != llvm::ELF::SHT_SYMTAB && elf_section.getType() != llvm::ELF::SHT_DYNSYM) continue;
    const std::uint64_t offset = elf_section.getOffset(), size = section.getSize();
    if (offset > file_size || size > file_size - offset)
      throw util::InputError({path, 0, static_cast<std::size_t>(std::min(offset, file_size))},
                             "symbol table of " + std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                                 " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
  }

  BlockFile file;
  Decoder decoder;
  const llvm::MCInstrAnalysis& analysis = X86Target::get().instr_analysis();
  std::size_t skipped_branch_only = 0;
  for (const llvm::object::SectionRef& section : object.sections()) {
    if (!section.isText() || section.getSize() == 0) continue;
    auto contents_or = section.getContents();
    if (!contents_or) continue;
    llvm::StringRef contents = *contents_or;
    const auto* data = reinterpret_cast<const std::uint8_t*>(contents.data());
    std::uint64_t base = section.getAddress();
    std::uint64_t file_offset = llvm::object::ELFSectionRef(section).getOffset();
    std::string section_name = section.getName() ? section.getName()->str() : "text";

    // Symbols in this section, by offset (first name wins): the full symbol
    // table first, then the dynamic one (all a stripped binary keeps).
    std::map<std::uint64_t, std::string> symbols;
    auto add_symbol = [&](const llvm::object::SymbolRef& symbol) {
      auto sec = symbol.getSection();
      auto addr = symbol.getAddress();
      auto name = symbol.getName();
      auto type = symbol.getType();
      if (!sec || !addr || !name || !type) {
        llvm::consumeError(sec.takeError());
        llvm::consumeError(addr.takeError());
        llvm::consumeError(name.takeError());
        llvm::consumeError(type.takeError());
        return;
      }
      if (*sec != section || name->empty() || *type == llvm::object::SymbolRef::ST_File ||
          *type == llvm::object::SymbolRef::ST_Debug)
        return;
      if (*addr < base || *addr >= base + contents.size()) return;
      symbols.emplace(*addr - base, name->str());
    };
    for (const llvm::object::SymbolRef& symbol : object.symbols()) add_symbol(symbol);
    for (const llvm::object::SymbolRef& symbol : elf->getDynamicSymbolIterators()) add_symbol(symbol);

    // Linear sweep.
    std::vector<Decoded> insts;
    std::set<std::uint64_t> leaders{0};
    for (auto& [offset, name] : symbols) leaders.insert(offset);
    std::uint64_t offset = 0;
    while (offset < contents.size()) {
      Decoded d{offset, 0, {}};
      d.size = decoder.decode_instruction(data + offset, contents.size() - offset, base + offset, d.inst);
      if (!d.size) {
        auto next = symbols.upper_bound(offset);
        std::uint64_t resume = next == symbols.end() ? contents.size() : next->first;
        file.notes.push_back(util::format_position({path, 0, file_offset + offset}) + ": note: undecodable bytes in " +
                             section_name + "; skipped to offset " + std::to_string(file_offset + resume));
        leaders.insert(resume);
        offset = resume;
        continue;
      }
      if (Decoder::is_control_flow(d.inst)) {
        leaders.insert(offset + d.size);
        std::uint64_t target = 0;
        if (analysis.evaluateBranch(d.inst, base + offset, d.size, target) && target >= base &&
            target < base + contents.size())
          leaders.insert(target - base);
      }
      insts.push_back(std::move(d));
      offset += insts.back().size;
    }

    std::vector<LiveRegisters> live_after;
    if (liveness) {
      const std::vector<std::uint64_t> relocated = relocated_offsets(object, section, path);
      std::vector<CodeInstruction> code;
      code.reserve(insts.size());
      for (const Decoded& d : insts) {
        auto r = std::lower_bound(relocated.begin(), relocated.end(), d.offset);
        code.push_back({base + d.offset, static_cast<std::uint32_t>(d.size), &d.inst,
                        r != relocated.end() && *r < d.offset + d.size});
      }
      std::set<std::uint64_t> function_starts;
      for (const auto& [at, name] : symbols) function_starts.insert(base + at);
      live_after = live_after_each(code, function_starts);
    }

    // Cut into blocks at leaders.
    std::size_t i = 0;
    while (i < insts.size()) {
      std::size_t j = i + 1;
      while (j < insts.size() && !leaders.count(insts[j].offset) &&
             insts[j - 1].offset + insts[j - 1].size == insts[j].offset && !Decoder::is_control_flow(insts[j - 1].inst))
        ++j;
      std::size_t end = j;
      if (Decoder::is_control_flow(insts[end - 1].inst)) --end;  // the dropped trailing branch
      bool padding = true;
      for (std::size_t k = i; k < end; ++k) padding &= is_padding(insts[k].inst);
      if (end == i) {
        ++skipped_branch_only;
      } else if (!padding) {
        std::uint64_t start = insts[i].offset, stop = insts[end - 1].offset + insts[end - 1].size;
        auto sym = symbols.upper_bound(start);
        std::string name;
        if (sym == symbols.begin()) {
          name = section_name + "+0x" + llvm::utohexstr(start, true);
        } else {
          --sym;
          name = sym->second + "+0x" + llvm::utohexstr(start - sym->first, true);
        }
        std::vector<std::uint8_t> bytes(data + start, data + stop);
        file.blocks.push_back(decoder.decode_block(std::move(bytes), path + ":" + name,
                                                   BytePosition{{path, 0, file_offset + start}, 1}, nullptr));
        if (liveness) file.blocks.back().live_out = live_after[end - 1];
      }
      i = j;
    }
  }
  if (skipped_branch_only)
    file.notes.push_back(path + ": note: skipped " + std::to_string(skipped_branch_only) +
                         " blocks that hold only a branch");
  if (file.blocks.empty()) throw util::InputError({path, 0, 0}, "no basic blocks found in executable sections");
  return file;
}

}  // namespace surrogate::block
