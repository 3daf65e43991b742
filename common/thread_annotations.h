#pragma once
// Clang's thread-safety annotations (clang.llvm.org/docs/ThreadSafetyAnalysis.html), as
// LevelDB's port/thread_annotations.h has them. With clang and -Wthread-safety (on for
// every clang build, see CMakeLists.txt) touching a GUARDED_BY member without holding its
// mutex, or calling a REQUIRES function without it, is a compile-time warning (an error
// with RINGKV_WERROR). Other compilers ignore the annotations. Use them with ringkv::Mutex
// (common/mutex.h): std::mutex carries no annotations.

#if defined(__clang__)
#define RINGKV_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define RINGKV_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) RINGKV_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY RINGKV_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) RINGKV_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) RINGKV_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) RINGKV_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) RINGKV_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) RINGKV_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) RINGKV_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) RINGKV_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS RINGKV_THREAD_ANNOTATION(no_thread_safety_analysis)
