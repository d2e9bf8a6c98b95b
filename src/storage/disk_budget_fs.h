// DiskBudgetFileSystem: a test hook that makes the disk "fill up". It wraps the
// default RocksDB file system and fails every write (Append, PositionedAppend)
// that would take more than a byte budget with ENOSPC, as the POSIX file system
// reports a full disk (IOStatus::NoSpace, retryable); GetFreeSpace reports the
// budget left. Raising the budget "frees space".
//
// Enabled by StoreOptions::disk_budget_bytes or the environment variable
// HOLO_TEST_DISK_BUDGET_BYTES (Store::Open). Never enabled otherwise.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace holo::storage {

class DiskBudgetFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // `budget_bytes`: bytes that may still be written before writes fail.
  DiskBudgetFileSystem(std::shared_ptr<rocksdb::FileSystem> target, uint64_t budget_bytes);

  static const char* kClassName() { return "HoloDiskBudgetFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // Sets the bytes that may still be written (0: the disk is full).
  void SetRemaining(uint64_t bytes) { remaining_.store(static_cast<int64_t>(bytes)); }
  uint64_t remaining() const;
  // Takes `n` bytes from the budget; false (nothing taken) when they do not fit.
  bool Take(uint64_t n);

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old_f, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& o, uint64_t* diskfree,
                                 rocksdb::IODebugContext* dbg) override;

 private:
  std::atomic<int64_t> remaining_;
};

}  // namespace holo::storage
