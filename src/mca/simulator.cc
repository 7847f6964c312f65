#include "mca/simulator.h"

#include <mutex>
#include <vector>

#include "block/x86_target.h"
#include "llvm/MCA/Context.h"
#include "llvm/MCA/CustomBehaviour.h"
#include "llvm/MCA/InstrBuilder.h"
#include "llvm/MCA/Pipeline.h"
#include "llvm/MCA/SourceMgr.h"
#include "llvm/Support/Error.h"
#include "mca/machine_model.h"

namespace surrogate {

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

// llvm-mca's -call-latency default.
constexpr unsigned kCallLatency = 100;
// Builders cache one descriptor per variant instruction seen; clearing every
// this many blocks keeps memory flat over millions of blocks.
constexpr unsigned kBlocksPerCacheClear = 4096;

}  // namespace

struct Simulator::Impl {
  explicit Impl(const CpuParams& params)
      : model(params), instruments(model, X86Target::get().instr_info()) {}

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
    const X86Target& x86 = X86Target::get();
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

std::uint64_t Simulator::cycles(const BasicBlock& block, unsigned iterations) const {
  if (block.instructions.empty()) throw SimulationError("empty block");
  if (iterations == 0) throw SimulationError("iterations must be positive");
  const X86Target& x86 = X86Target::get();
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
  for (const llvm::MCInst& inst : block.instructions) {
    auto lowered = engine->builder->createInstruction(inst, no_instruments);
    if (!lowered) {
      std::string why;
      llvm::handleAllErrors(lowered.takeError(), [&](const llvm::ErrorInfoBase& e) { why = e.message(); });
      throw SimulationError(why + ": '" + format_instruction(inst) + "' on " + model.params().cpu);
    }
    engine->post_process->postProcessInstruction(*lowered, inst);
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
  llvm::Expected<unsigned> total = pipeline->run();
  if (!total) {
    std::string why;
    llvm::handleAllErrors(total.takeError(), [&](const llvm::ErrorInfoBase& e) { why = e.message(); });
    throw SimulationError("simulation failed: " + why);
  }
  return *total;
}

}  // namespace surrogate
