// File: common/thread_annotations.h
//
// Thread safety written in the code: Clang's thread-safety analysis
// (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html). A member that a mutex guards is
// declared GUARDED_BY(mu); a function that needs a lock held says REQUIRES(mu). The mutexes
// and scoped locks below carry the annotations (libstdc++'s std::mutex does not), so a
// Clang build with -Wthread-safety proves every access holds the lock; the test
// `thread_safety_check` (tests/thread_safety_check.sh) runs that build over the annotated
// modules in `make test`. Under GCC the macros are empty and the types are thin wrappers.
#pragma once

#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define HOLO_TSA(x) __attribute__((x))
#else
#define HOLO_TSA(x)
#endif

#define CAPABILITY(x) HOLO_TSA(capability(x))
#define SCOPED_CAPABILITY HOLO_TSA(scoped_lockable)
#define GUARDED_BY(x) HOLO_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) HOLO_TSA(pt_guarded_by(x))
#define REQUIRES(...) HOLO_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) HOLO_TSA(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) HOLO_TSA(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) HOLO_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) HOLO_TSA(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) HOLO_TSA(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) HOLO_TSA(release_generic_capability(__VA_ARGS__))
#define EXCLUDES(...) HOLO_TSA(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) HOLO_TSA(assert_capability(x))
#define ACQUIRED_BEFORE(...) HOLO_TSA(acquired_before(__VA_ARGS__))
#define TRY_ACQUIRE_SHARED(...) HOLO_TSA(try_acquire_shared_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS HOLO_TSA(no_thread_safety_analysis)

namespace holo {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis that the caller holds the lock (where it cannot see it: a helper
  // object the lock's holder hands out). Checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  std::mutex mu_;
};

class CAPABILITY("shared_mutex") SharedMutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void ReaderLock() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void ReaderUnlock() RELEASE_SHARED() { mu_.unlock_shared(); }
  // Takes the lock shared if no writer holds it (or waits for it); returns whether it did.
  bool TryReaderLock() TRY_ACQUIRE_SHARED(true) { return mu_.try_lock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

// Holds `mu` exclusively for its scope.
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() RELEASE() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* mu_;
};

// Holds `mu` shared for its scope.
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderLock() RELEASE() { mu_->ReaderUnlock(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* mu_;
};

}  // namespace holo
