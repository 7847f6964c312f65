#include "mca/simulator.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <vector>

#include "block/x86_target.h"
#include "llvm/MCA/Context.h"
#include "llvm/MCA/HWEventListener.h"
#include "llvm/MCA/CustomBehaviour.h"
#include "llvm/MCA/InstrBuilder.h"
#include "llvm/MCA/Pipeline.h"
#include "llvm/MCA/SourceMgr.h"
#include "llvm/Support/Error.h"
#include "mca/machine_model.h"

namespace surrogate::mca {

namespace {

// Per-opcode scheduling classes: the builder asks the instrument manager
// which class an instruction uses, and caches descriptors by that class.
class OpcodeClassManager final : public llvm::mca::InstrumentManager {
 public:
  OpcodeClassManager(const MachineModel& model, const llvm::MCInstrInfo& mcii)
      : InstrumentManager(model.subtarget(), mcii), model_(model) {}
  unsigned getSchedClassID(const llvm::MCInstrInfo&, const llvm::MCInst& inst,
                           const llvm::SmallVector<llvm::mca::Instrument*>&) const override {
    return model_.opcode_class(inst.getOpcode());
  }

 private:
  const MachineModel& model_;
};

// Gathers a SimulationReport from the pipeline's events (as llvm-mca's
// ResourcePressureView and TimelineView do).
class ReportListener final : public llvm::mca::HWEventListener {
 public:
  ReportListener(const llvm::MCSchedModel& sm, const block::BasicBlock& block, const CpuParams& params,
                 unsigned iterations, SimulationReport* report)
      : block_size_(block.instructions.size()), iterations_(iterations), report_(report) {
    report->iterations = iterations;
    report->resource_pressure.assign(sm.getNumProcResourceKinds(), 0.0);
    for (const Resource& r : params.resources) {
      report->resource_names.push_back(r.name);
      report->resource_units.push_back(r.is_group() ? 0 : r.units);
    }
    report->instructions.resize(block_size_);
    for (std::size_t i = 0; i < block_size_; ++i)
      report->instructions[i].text = block::format_instruction(block.instructions[i]);
    times_.resize(block_size_ * iterations);
  }

  void onCycleEnd() override { ++cycle_; }

  void onEvent(const llvm::mca::HWInstructionEvent& e) override {
    const unsigned index = e.IR.getSourceIndex();
    if (index >= times_.size()) return;
    Times& t = times_[index];
    switch (e.Type) {
      case llvm::mca::HWInstructionEvent::Dispatched:
        t.dispatched = cycle_;
        break;
      case llvm::mca::HWInstructionEvent::Ready:
        t.ready = cycle_;
        break;
      case llvm::mca::HWInstructionEvent::Issued: {
        t.issued = cycle_;
        if (t.ready < 0) t.ready = cycle_;  // issued in the cycle it became ready
        const auto& issued = static_cast<const llvm::mca::HWInstructionIssuedEvent&>(e);
        for (const auto& [ref, cycles] : issued.UsedResources)
          if (ref.first < report_->resource_pressure.size())
            report_->resource_pressure[ref.first] += static_cast<double>(cycles);
        break;
      }
      case llvm::mca::HWInstructionEvent::Executed:
        t.executed = cycle_;
        break;
      default:
        break;
    }
  }

  void onEvent(const llvm::mca::HWStallEvent& e) override {
    static const char* const kNames[] = {"invalid",          "register file",        "retire control unit",
                                         "dispatch group",   "scheduler queue full", "load queue full",
                                         "store queue full", "custom behaviour"};
    const char* name = e.Type < std::size(kNames) ? kNames[e.Type] : "other";
    ++report_->dispatch_stalls[name];
  }

  void finish() {
    for (double& p : report_->resource_pressure) p /= iterations_;
    std::vector<unsigned> counted(block_size_, 0);
    for (std::size_t k = 0; k < times_.size(); ++k) {
      const Times& t = times_[k];
      if (t.dispatched < 0 || t.issued < 0 || t.executed < 0) continue;
      InstructionTiming& it = report_->instructions[k % block_size_];
      it.waiting_for_operands += static_cast<double>(t.ready - t.dispatched);
      it.waiting_for_resources += static_cast<double>(t.issued - t.ready);
      it.executing += static_cast<double>(t.executed - t.issued);
      ++counted[k % block_size_];
    }
    for (std::size_t i = 0; i < block_size_; ++i)
      if (counted[i]) {
        InstructionTiming& it = report_->instructions[i];
        it.waiting_for_operands /= counted[i];
        it.waiting_for_resources /= counted[i];
        it.executing /= counted[i];
      }
  }

 private:
  struct Times {
    std::int64_t dispatched = -1, ready = -1, issued = -1, executed = -1;  // cycle of each event
  };
  std::size_t block_size_;
  unsigned iterations_;
  SimulationReport* report_;
  std::int64_t cycle_ = 0;
  std::vector<Times> times_;  // per dynamic instruction (iteration * block size + index)
};

// llvm-mca's -call-latency default.
constexpr unsigned kCallLatency = 100;
// Builders cache one descriptor per variant instruction seen; clearing every
// this many blocks keeps memory flat over millions of blocks.
constexpr unsigned kBlocksPerCacheClear = 4096;

// True if an instruction uses two resource groups that share some units but
// neither holds the other (znver4's vpconflict: FP01, FP12 and FP23). LLVM
// 19's ResourceManager can then select a unit that is not free and crash
// (SIGSEGV in ResourceManager::use, as real llvm-mca-19 does on e.g.
// `psubsb (%r9), %xmm13; vpconflictq %zmm13, %zmm13 {%k2}` on znver4;
// llvm/llvm-project#108157). Masks are llvm-mca's: a group's is its own
// (highest) bit and its units' bits.
bool uses_overlapping_groups(const llvm::mca::InstrDesc& desc) {
  std::vector<std::uint64_t> groups;
  for (const auto& [mask, usage] : desc.Resources)
    if (std::popcount(mask) > 1) groups.push_back(mask & ~(std::uint64_t{1} << (63 - std::countl_zero(mask))));
  for (std::size_t i = 0; i < groups.size(); ++i)
    for (std::size_t j = i + 1; j < groups.size(); ++j) {
      const std::uint64_t both = groups[i] & groups[j];
      if (both && both != groups[i] && both != groups[j]) return true;
    }
  return false;
}

// CPU seconds an isolated simulation may take (a real block of 100
// iterations takes milliseconds).
constexpr rlim_t kIsolatedCpuSeconds = 5;

// LLVM's message for a failed pipeline run, as the caller reports it.
std::string simulation_failure(llvm::Error error) {
  std::string why;
  llvm::handleAllErrors(std::move(error), [&](const llvm::ErrorInfoBase& e) { why = e.message(); });
  return "simulation failed: " + why;
}

// Runs the pipeline in a child process, so that LLVM crashing on it (see
// uses_overlapping_groups) fails this block, not the process: the block's
// total cycles, or SimulationError (LLVM's own message when the run fails
// without crashing). fork() copies only this thread; glibc's malloc and
// tcmalloc stay usable in the child (both lock around fork), and the child
// leaves with _exit (no destructors, no atexit handlers). The child writes
// the cycles (8 bytes), then the failure message if any, to a pipe.
std::uint64_t run_isolated(llvm::mca::Pipeline& pipeline) {
  int fds[2];
  if (pipe(fds) != 0) throw SimulationError(std::string("cannot isolate the simulation: ") + std::strerror(errno));
  const pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    throw SimulationError(std::string("cannot isolate the simulation: ") + std::strerror(errno));
  }
  if (child == 0) {
    close(fds[0]);
    // The same overlap can also make the pipeline never finish (llvm-mca-19
    // -mcpu=alderlake hangs on `orl $1, 128(%r8); cvtss2sd %xmm13, %xmm0;
    // vmovhpd %xmm5, 8(%r15,%rcx,4); dpps $2, %xmm8, %xmm11; vextractf128 $5,
    // %ymm15, 16(%rcx,%rcx,4); vpackssdw %ymm8, %ymm13, %ymm7`); a real block
    // of 100 iterations takes milliseconds.
    const rlimit cpu{kIsolatedCpuSeconds, kIsolatedCpuSeconds + 1};  // SIGXCPU, then SIGKILL
    setrlimit(RLIMIT_CPU, &cpu);
    llvm::Expected<unsigned> total = pipeline.run();
    std::string out(sizeof(std::uint64_t), '\0');
    if (total) {
      const std::uint64_t cycles = *total;
      std::memcpy(out.data(), &cycles, sizeof cycles);
    } else {
      out += simulation_failure(total.takeError());
    }
    for (std::size_t done = 0; done < out.size();) {
      const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    _exit(total ? 0 : 1);
  }
  close(fds[1]);
  std::string in;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  std::uint64_t cycles = 0;
  const bool got = in.size() >= sizeof cycles;
  if (got) std::memcpy(&cycles, in.data(), sizeof cycles);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL))
    throw SimulationError("LLVM 19's llvm-mca does not finish this block (stopped after " +
                          std::to_string(kIsolatedCpuSeconds) +
                          " s of CPU): an instruction uses overlapping resource groups (llvm/llvm-project#108157)");
  if (WIFSIGNALED(status))
    throw SimulationError(std::string("LLVM 19's llvm-mca crashes on this block (") + strsignal(WTERMSIG(status)) +
                          "): an instruction uses overlapping resource groups (llvm/llvm-project#108157)");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && in.size() > sizeof cycles)
    throw SimulationError(in.substr(sizeof cycles));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !got) throw SimulationError("simulation failed");
  return cycles;
}

}  // namespace

struct Simulator::Impl {
  explicit Impl(const CpuParams& params) : model(params), instruments(model, block::X86Target::get().instr_info()) {}

  // What one thread needs to lower instructions; builders cache descriptors.
  struct Engine {
    std::unique_ptr<llvm::mca::InstrBuilder> builder;
    std::unique_ptr<llvm::mca::InstrPostProcess> post_process;
    unsigned blocks = 0;
  };

  std::unique_ptr<Engine> acquire() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        auto e = std::move(idle.back());
        idle.pop_back();
        return e;
      }
    }
    const block::X86Target& x86 = block::X86Target::get();
    auto e = std::make_unique<Engine>();
    e->builder = std::make_unique<llvm::mca::InstrBuilder>(model.subtarget(), x86.instr_info(), x86.reg_info(),
                                                           &x86.instr_analysis(), instruments, kCallLatency);
    e->post_process.reset(x86.target().createInstrPostProcess(model.subtarget(), x86.instr_info()));
    if (!e->post_process)
      e->post_process = std::make_unique<llvm::mca::InstrPostProcess>(model.subtarget(), x86.instr_info());
    return e;
  }
  void release(std::unique_ptr<Engine> e) {
    std::lock_guard lock(mutex);
    idle.push_back(std::move(e));
  }

  MachineModel model;
  OpcodeClassManager instruments;
  std::mutex mutex;
  std::vector<std::unique_ptr<Engine>> idle;
};

Simulator::Simulator(const CpuParams& params) : impl_(std::make_unique<Impl>(params)) {}
Simulator::~Simulator() = default;

const CpuParams& Simulator::params() const { return impl_->model.params(); }

std::uint64_t Simulator::cycles(const block::BasicBlock& block, unsigned iterations) const {
  return run(block, iterations, nullptr);
}

SimulationReport Simulator::report(const block::BasicBlock& block, unsigned iterations) const {
  SimulationReport r;
  r.cycles = run(block, iterations, &r);
  return r;
}

std::uint64_t Simulator::run(const block::BasicBlock& block, unsigned iterations, SimulationReport* report) const {
  if (block.instructions.empty()) throw SimulationError("empty block");
  if (iterations == 0) throw SimulationError("iterations must be positive");
  const block::X86Target& x86 = block::X86Target::get();
  const MachineModel& model = impl_->model;
  const GlobalParams& g = model.params().global;

  auto engine = impl_->acquire();
  struct Releaser {
    Impl* impl;
    std::unique_ptr<Impl::Engine>* engine;
    ~Releaser() { impl->release(std::move(*engine)); }
  } releaser{impl_.get(), &engine};

  if (++engine->blocks % kBlocksPerCacheClear == 0) engine->builder->clear();
  engine->post_process->resetState();
  llvm::SmallVector<std::unique_ptr<llvm::mca::Instruction>> sequence;
  const llvm::SmallVector<llvm::mca::Instrument*> no_instruments;
  bool crash_prone = false;
  for (const llvm::MCInst& inst : block.instructions) {
    auto lowered = engine->builder->createInstruction(inst, no_instruments);
    if (!lowered) {
      std::string why;
      llvm::handleAllErrors(lowered.takeError(), [&](const llvm::ErrorInfoBase& e) { why = e.message(); });
      throw SimulationError(why + ": '" + block::format_instruction(inst) + "' on " + model.params().cpu);
    }
    engine->post_process->postProcessInstruction(*lowered, inst);
    crash_prone = crash_prone || uses_overlapping_groups((*lowered)->getDesc());
    sequence.push_back(std::move(*lowered));
  }

  llvm::mca::CircularSourceMgr source(sequence, iterations);
  std::unique_ptr<llvm::mca::CustomBehaviour> behaviour(
      x86.target().createCustomBehaviour(model.subtarget(), source, x86.instr_info()));
  if (!behaviour) behaviour = std::make_unique<llvm::mca::CustomBehaviour>(model.subtarget(), source, x86.instr_info());
  // llvm-mca's defaults: -noalias=true, register file size from the model.
  llvm::mca::PipelineOptions options(g.micro_op_queue_size, g.decoder_throughput, g.dispatch_width,
                                     /*RegisterFileSize=*/0, g.load_queue_size, g.store_queue_size,
                                     /*AssumeNoAlias=*/true);
  llvm::mca::Context context(x86.reg_info(), model.subtarget());
  auto pipeline = context.createDefaultPipeline(options, source, *behaviour);
  if (crash_prone) {
    // In a child first; once it survived, here too if a report is wanted
    // (the same run: the pipeline is deterministic).
    const std::uint64_t cycles = run_isolated(*pipeline);
    if (!report) return cycles;
    pipeline = context.createDefaultPipeline(options, source, *behaviour);
  }
  std::unique_ptr<ReportListener> listener;
  if (report) {
    listener =
        std::make_unique<ReportListener>(model.subtarget().getSchedModel(), block, model.params(), iterations, report);
    pipeline->addEventListener(listener.get());
  }
  llvm::Expected<unsigned> total = pipeline->run();
  if (!total) throw SimulationError(simulation_failure(total.takeError()));
  if (listener) listener->finish();
  return *total;
}

}  // namespace surrogate::mca
