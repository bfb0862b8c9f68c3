// Lazy C++20 coroutine tasks: the core's request handlers are written as straight-line code that
// `co_await`s effects (see core/io.h). Compiles with g++ 12 (<coroutine>) and em++ 3.1.6 (via the
// compat header in compat/emscripten). No exceptions: an exception escaping a task aborts.
#pragma once

#include <coroutine>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

namespace lattice {

template <typename T>
class Task;

namespace detail {

// No symmetric transfer: clang lowers it to wasm tail calls, which em++ 3.1.6 cannot emit.
// Instead an awaited task runs inline until it first suspends; if it finishes synchronously the
// awaiter simply continues (no stack growth), otherwise the task resumes its awaiter when done.
// Resumes `h` from a plain, externally linked function. clang 14's coroutine splitting turns a
// tail-position call to an internal (fastcc) function taking the frame pointer into `musttail`,
// which wasm without the tail-call feature cannot encode; so awaiter hooks are always inlined
// and the resume goes through this function instead.
[[gnu::noinline]] inline void resumeHandle(std::coroutine_handle<> h) { h.resume(); }

struct PromiseBase {
  std::coroutine_handle<> continuation;  // the awaiting coroutine, if any
  bool awaiterSuspended = false;         // true once the awaiter has really suspended on us

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename Promise>
    [[gnu::always_inline]] void await_suspend(std::coroutine_handle<Promise> h) noexcept {
      PromiseBase& p = h.promise();
      if (p.awaiterSuspended) resumeHandle(p.continuation);
    }
    void await_resume() noexcept {}
  };

  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { std::abort(); }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
};

}  // namespace detail

// A lazily started coroutine producing T. Awaiting it starts it and resumes the awaiter when it
// finishes.
template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : handle_(h) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  bool await_ready() const noexcept { return false; }
  [[gnu::always_inline]] bool await_suspend(std::coroutine_handle<> awaiter) noexcept {
    auto& p = handle_.promise();
    p.continuation = awaiter;
    detail::resumeHandle(handle_);
    if (handle_.done()) return false;  // finished synchronously: the awaiter goes straight on
    p.awaiterSuspended = true;
    return true;
  }
  T await_resume() {
    if constexpr (!std::is_void_v<T>) return std::move(*handle_.promise().value);
  }

  // For the driver at the top of a chain: start or inspect the outermost task.
  Handle handle() const { return handle_; }
  bool done() const { return !handle_ || handle_.done(); }
  template <typename U = T>
  U& result() {
    return *handle_.promise().value;
  }

 private:
  void destroy() {
    if (handle_) handle_.destroy();
    handle_ = {};
  }
  Handle handle_;
};

namespace detail {
template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace lattice
