// Internal state of SimDisk, shared by sim_disk.cc (live operations) and sim_disk_crash.cc
// (crash resolution, bit rot, hashing). Not part of the public interface.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "vfs/sim_disk.h"

namespace northstar::vfs {

struct SimDisk::Inode {
  // What survives a crash for sure; its size is the durable file size.
  std::vector<uint8_t> durable;
  // What reads see; its size is the live file size.
  std::vector<uint8_t> live;
  // Sectors whose live content or presence may differ from the durable image. Every byte
  // outside these sectors is equal in both images (where both have it).
  std::set<uint64_t> dirty_sectors;
  // Handles opened in the current epoch and not yet closed: an unnamed inode lives while > 0.
  uint64_t open_handles = 0;
};

struct SimDisk::DirOp {
  enum class Kind { kCreate, kRemove, kRename };
  Kind kind;
  // kCreate: to = the new name. kRemove: from = the removed name. kRename: from -> to.
  std::string from;
  std::string to;
  uint64_t inode_id = 0;

  [[nodiscard]] bool touches(std::string_view dir) const {
    return (!from.empty() && DirectoryOf(from) == dir) || (!to.empty() && DirectoryOf(to) == dir);
  }
  // Applies the operation to a namespace.
  void apply(std::map<std::string, uint64_t>& names) const {
    if (!from.empty()) names.erase(from);
    if (!to.empty()) names[to] = inode_id;
  }
};

}  // namespace northstar::vfs
