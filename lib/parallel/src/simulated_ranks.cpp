// simulated_ranks.cpp: n ranks as threads taking turns (see simulated_ranks.hpp).
//
// One mutex is the baton: a rank thread holds it while it runs and lets go only inside recv, while it
// waits for a message. Each rank is running, waiting (for one mailbox), or finished. A send that fills
// the mailbox a rank waits on marks that rank running again; when no rank is running and one is waiting,
// nobody can ever send: a deadlock, reported to every waiting rank.
#include "gb/parallel/simulated_ranks.hpp"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "gb/core/error.hpp"

namespace gb::parallel {

namespace {

struct Mailbox {  // the messages from one rank to another on one channel, in the order sent
  int from = 0, to = 0, channel = 0;
  bool operator<(const Mailbox& o) const { return std::tie(from, to, channel) < std::tie(o.from, o.to, o.channel); }
};

struct Message {
  std::vector<char> bytes;
  double arrival = 0;  // the sender's clock after sending
};

enum class State { running, waiting, finished };

struct World {
  explicit World(const ClusterSpec& spec) : cluster(spec), state(static_cast<std::size_t>(spec.devices), State::running),
                                             waiting_for(state.size()), clock(state.size(), 0.0) {}
  std::mutex baton;
  std::condition_variable changed;
  Cluster cluster;
  std::map<Mailbox, std::deque<Message>> mail;
  std::vector<State> state;
  std::vector<Mailbox> waiting_for;
  std::vector<double> clock;
  std::string failure;                 // set once something failed: every waiting rank throws it
  std::exception_ptr first_failure;    // what run_simulated_ranks rethrows

  bool anyone_running() const {
    for (State s : state) if (s == State::running) return true;
    return false;
  }
  std::string who_waits() const {
    std::string s;
    for (std::size_t r = 0; r < state.size(); ++r) {
      if (state[r] != State::waiting) continue;
      s += (s.empty() ? "" : ", ") + std::string("rank ") + std::to_string(r) + " waits for rank " + std::to_string(waiting_for[r].from);
    }
    return s;
  }
};

class SimulatedTransport : public Transport {
 public:
  SimulatedTransport(World& world, int rank, std::unique_lock<std::mutex>& baton) : w_(world), rank_(rank), baton_(baton) {}
  int world_rank() const override { return rank_; }
  int world_size() const override { return static_cast<int>(w_.state.size()); }
  std::string name() const override { return "simulated"; }
  double seconds() const override { return w_.clock[static_cast<std::size_t>(rank_)]; }

  void send_bytes(const void* data, std::int64_t bytes, int to, int channel) override {
    check_rank("send", to);
    double& clock = w_.clock[static_cast<std::size_t>(rank_)];
    clock += w_.cluster.link(rank_, to).seconds(bytes);  // the sender's port is busy for alpha + beta x bytes
    Message m;
    m.bytes.assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
    m.arrival = clock;
    const Mailbox box{rank_, to, channel};
    w_.mail[box].push_back(std::move(m));
    auto& s = w_.state[static_cast<std::size_t>(to)];
    if (s == State::waiting && !(w_.waiting_for[static_cast<std::size_t>(to)] < box) && !(box < w_.waiting_for[static_cast<std::size_t>(to)])) {
      s = State::running;
      w_.changed.notify_all();
    }
  }

  void recv_bytes(void* into, std::int64_t bytes, int from, int channel) override {
    check_rank("recv", from);
    const Mailbox box{from, rank_, channel};
    const std::string op = "recv from rank " + std::to_string(from) + " on rank " + std::to_string(rank_);
    auto& me = w_.state[static_cast<std::size_t>(rank_)];
    for (;;) {
      auto found = w_.mail.find(box);
      if (found != w_.mail.end() && !found->second.empty()) {
        Message m = std::move(found->second.front());
        found->second.pop_front();
        me = State::running;
        if (static_cast<std::int64_t>(m.bytes.size()) != bytes) {
          throw Error(op, "a message of " + std::to_string(bytes) + " bytes", std::to_string(m.bytes.size()) + " bytes");
        }
        double& clock = w_.clock[static_cast<std::size_t>(rank_)];
        clock = std::max(clock, m.arrival);
        if (bytes > 0) std::memcpy(into, m.bytes.data(), static_cast<std::size_t>(bytes));
        return;
      }
      if (!w_.failure.empty()) {
        me = State::running;
        throw Error(op, "a message", w_.failure);
      }
      if (w_.state[static_cast<std::size_t>(from)] == State::finished) {
        me = State::running;
        throw Error(op, "a message", "rank " + std::to_string(from) + " has finished without sending it");
      }
      me = State::waiting;
      w_.waiting_for[static_cast<std::size_t>(rank_)] = box;
      if (!w_.anyone_running()) {
        w_.failure = "a deadlock: " + w_.who_waits() + ", and no rank can send";
        w_.changed.notify_all();
        continue;  // throws above
      }
      w_.changed.wait(baton_);
    }
  }

 private:
  void check_rank(const char* op, int peer) const {
    if (peer < 0 || peer >= world_size() || peer == rank_) {
      throw Error(std::string("simulated ") + op, "another rank in [0, " + std::to_string(world_size()) + ")", std::to_string(peer));
    }
  }
  World& w_;
  int rank_;
  std::unique_lock<std::mutex>& baton_;
};

}  // namespace

std::vector<CommStats> run_simulated_ranks(int ranks, const std::function<void(Communicator&)>& program, ClusterSpec cluster) {
  if (ranks < 1) throw Error("run_simulated_ranks", "at least 1 rank", std::to_string(ranks));
  cluster.devices = ranks;
  World world(cluster);
  std::vector<CommStats> stats(static_cast<std::size_t>(ranks));
  auto body = [&](int r) {
    std::unique_lock<std::mutex> baton(world.baton);
    SimulatedTransport transport(world, r, baton);
    try {
      Communicator comm(transport);
      program(comm);
      stats[static_cast<std::size_t>(r)] = comm.stats();
    } catch (const std::exception& e) {
      if (!world.first_failure) world.first_failure = std::current_exception();
      if (world.failure.empty()) world.failure = "rank " + std::to_string(r) + " failed: " + e.what();
    }
    stats[static_cast<std::size_t>(r)].seconds = world.clock[static_cast<std::size_t>(r)];
    world.state[static_cast<std::size_t>(r)] = State::finished;
    // Whoever waits for this rank, or can no longer be woken by anyone, must look again.
    if (!world.anyone_running() && world.failure.empty() && !world.who_waits().empty()) {
      world.failure = "a deadlock: " + world.who_waits() + ", and no rank can send";
    }
    world.changed.notify_all();
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) threads.emplace_back(body, r);
  for (auto& t : threads) t.join();
  if (world.first_failure) std::rethrow_exception(world.first_failure);
  return stats;
}

}  // namespace gb::parallel
