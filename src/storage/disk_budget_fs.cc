#include "storage/disk_budget_fs.h"

#include <algorithm>

namespace holo::storage {
namespace {

rocksdb::IOStatus NoSpace(const std::string& file) {
  // The shape of the POSIX file system's ENOSPC (env/io_posix.h): NoSpace, retryable.
  rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace("While appending to file: " + file, "No space left on device");
  s.SetRetryable(true);
  return s;
}

class BudgetWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  BudgetWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, DiskBudgetFileSystem* fs, std::string name)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (!fs_->Take(data.size())) return NoSpace(name_);
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* dbg) override {
    if (!fs_->Take(data.size())) return NoSpace(name_);
    return FSWritableFileOwnerWrapper::Append(data, o, v, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* dbg) override {
    if (!fs_->Take(data.size())) return NoSpace(name_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* dbg) override {
    if (!fs_->Take(data.size())) return NoSpace(name_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, v, dbg);
  }

 private:
  DiskBudgetFileSystem* fs_;
  std::string name_;
};

}  // namespace

DiskBudgetFileSystem::DiskBudgetFileSystem(std::shared_ptr<rocksdb::FileSystem> target, uint64_t budget_bytes)
    : FileSystemWrapper(std::move(target)), remaining_(static_cast<int64_t>(budget_bytes)) {}

uint64_t DiskBudgetFileSystem::remaining() const { return static_cast<uint64_t>(std::max<int64_t>(0, remaining_.load())); }

bool DiskBudgetFileSystem::Take(uint64_t n) {
  int64_t cur = remaining_.load();
  while (true) {
    if (cur < static_cast<int64_t>(n)) return false;
    if (remaining_.compare_exchange_weak(cur, cur - static_cast<int64_t>(n))) return true;
  }
}

rocksdb::IOStatus DiskBudgetFileSystem::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                                        std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                        rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(f, o, &file, dbg);
  if (s.ok()) r->reset(new BudgetWritableFile(std::move(file), this, f));
  return s;
}

rocksdb::IOStatus DiskBudgetFileSystem::ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                                           std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                           rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, &file, dbg);
  if (s.ok()) r->reset(new BudgetWritableFile(std::move(file), this, f));
  return s;
}

rocksdb::IOStatus DiskBudgetFileSystem::ReuseWritableFile(const std::string& f, const std::string& old_f,
                                                          const rocksdb::FileOptions& o,
                                                          std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                          rocksdb::IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->ReuseWritableFile(f, old_f, o, &file, dbg);
  if (s.ok()) r->reset(new BudgetWritableFile(std::move(file), this, f));
  return s;
}

rocksdb::IOStatus DiskBudgetFileSystem::GetFreeSpace(const std::string& path, const rocksdb::IOOptions& o,
                                                     uint64_t* diskfree, rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->GetFreeSpace(path, o, diskfree, dbg);
  if (s.ok()) *diskfree = std::min(*diskfree, remaining());
  return s;
}

}  // namespace holo::storage
