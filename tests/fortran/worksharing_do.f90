! worksharing_do: the do construct with every schedule (static, static with a chunk, dynamic,
! guided, runtime from OMP_SCHEDULE and from omp_set_schedule, auto, monotonic and
! nonmonotonic modifiers), collapse, ordered, lastprivate (including the loop variable's value
! after the loop), firstprivate, nowait between two static loops, negative steps, zero-trip and
! 64-bit loops. Each loop records which thread ran each iteration, and the checks are the ones
! the specification makes exact: every iteration once, static chunks dealt round-robin in
! thread order, dynamic chunks of the size asked for, guided chunks no smaller than the chunk.
! The test sets OMP_SCHEDULE=dynamic,4.
program worksharing_do
  use omp_lib
  implicit none
  integer, parameter :: n = 997
  integer :: owner(n), times(n), nfail, nthreads
  integer :: kind_got, chunk_got

  nfail = 0
  nthreads = omp_get_max_threads()

  call static_schedules()
  call dynamic_and_guided()
  call runtime_schedules()
  call collapsed()
  call ordered_loops()
  call lastprivate_and_firstprivate()
  call nowait_loops()
  call other_bounds()

  if (nfail > 0) then
    print '(a,i0,a)', 'worksharing_do: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'worksharing_do: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'worksharing_do: FAIL ', what, ': got ', got, &
      ', expected ', expected
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  subroutine reset()
    owner = -1
    times = 0
  end subroutine reset

  ! every iteration ran exactly once, by a thread of the team
  subroutine expect_cover(what)
    character(len=*), intent(in) :: what
    integer :: i
    do i = 1, n
      if (times(i) /= 1) then
        call fail(what // ': times iteration i ran (i first)', times(i), 1)
        call fail(what // ': ... that iteration i', i, i)
        return
      end if
      if (owner(i) < 0 .or. owner(i) >= nthreads) then
        call fail(what // ': thread number of an iteration', owner(i), 0)
        return
      end if
    end do
  end subroutine expect_cover

  ! schedule(static, c) and runtime static with a chunk: chunk k goes to thread mod(k, nthreads)
  subroutine expect_round_robin(what, c)
    character(len=*), intent(in) :: what
    integer, intent(in) :: c
    integer :: i
    call expect_cover(what)
    do i = 1, n
      if (owner(i) /= mod((i - 1) / c, nthreads)) then
        call fail(what // ': thread of iteration (i below)', owner(i), mod((i - 1) / c, nthreads))
        call fail(what // ': ... iteration', i, i)
        return
      end if
    end do
  end subroutine expect_round_robin

  ! the iterations of each chunk of c (from the first) ran on one thread
  subroutine expect_chunks_of(what, c)
    character(len=*), intent(in) :: what
    integer, intent(in) :: c
    integer :: i
    call expect_cover(what)
    do i = 1, n
      if (owner(i) /= owner(((i - 1) / c) * c + 1)) then
        call fail(what // ': iteration i not on the thread of its chunk (i)', i, i)
        return
      end if
    end do
  end subroutine expect_chunks_of

  ! runs of one thread are at least c long, except the one that ends the loop
  subroutine expect_runs_at_least(what, c)
    character(len=*), intent(in) :: what
    integer, intent(in) :: c
    integer :: i, start
    call expect_cover(what)
    start = 1
    do i = 2, n
      if (owner(i) /= owner(i - 1)) then
        if (i - start < c) then
          call fail(what // ': a chunk shorter than the chunk size, starting at', start, -1)
          return
        end if
        start = i
      end if
    end do
  end subroutine expect_runs_at_least

  subroutine static_schedules()
    integer :: i, t, lo(0:63), hi(0:63), sz, smin, smax
    call reset()
    !$omp parallel shared(owner, times)
    !$omp do schedule(static)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_cover('schedule(static)')
    ! one contiguous block per thread, in thread order, sizes within one of each other
    lo = huge(1)
    hi = -1
    do i = 1, n
      t = owner(i)
      if (i > 1) then
        if (t < owner(i - 1)) call fail('schedule(static): thread numbers decrease at', i, -1)
      end if
      lo(t) = min(lo(t), i)
      hi(t) = max(hi(t), i)
    end do
    smin = huge(1)
    smax = 0
    do t = 0, nthreads - 1
      sz = hi(t) - lo(t) + 1
      call expect('schedule(static): block of a thread is contiguous', &
        count(owner(lo(t):hi(t)) == t), sz)
      smin = min(smin, sz)
      smax = max(smax, sz)
    end do
    if (smax - smin > 1) call fail('schedule(static): block sizes differ by', smax - smin, 1)

    call reset()
    !$omp parallel do schedule(static, 7) shared(owner, times)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end parallel do
    call expect_round_robin('parallel do schedule(static, 7)', 7)

    call reset()
    !$omp parallel shared(owner, times)
    !$omp do schedule(static, 1)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_round_robin('schedule(static, 1)', 1)
  end subroutine static_schedules

  subroutine dynamic_and_guided()
    integer :: i, last(0:63), bad
    call reset()
    !$omp parallel shared(owner, times)
    !$omp do schedule(dynamic, 5)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_chunks_of('schedule(dynamic, 5)', 5)

    call reset()
    !$omp parallel do schedule(dynamic) shared(owner, times)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end parallel do
    call expect_cover('parallel do schedule(dynamic)')

    call reset()
    !$omp parallel shared(owner, times)
    !$omp do schedule(guided, 3)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_runs_at_least('schedule(guided, 3)', 3)

    call reset()
    !$omp parallel do schedule(guided) shared(owner, times)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end parallel do
    call expect_cover('parallel do schedule(guided)')

    call reset()
    !$omp parallel shared(owner, times)
    !$omp do schedule(auto)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_cover('schedule(auto)')

    ! monotonic: each thread sees its iterations in increasing order
    call reset()
    last = 0
    bad = 0
    !$omp parallel shared(owner, times, last, bad)
    !$omp do schedule(monotonic: dynamic, 2)
    do i = 1, n
      if (i <= last(omp_get_thread_num())) then
        !$omp atomic
        bad = bad + 1
      end if
      last(omp_get_thread_num()) = i
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_chunks_of('schedule(monotonic: dynamic, 2)', 2)
    call expect('schedule(monotonic: dynamic, 2): iterations out of order', bad, 0)

    call reset()
    !$omp parallel do schedule(nonmonotonic: dynamic, 4) shared(owner, times)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end parallel do
    call expect_chunks_of('schedule(nonmonotonic: dynamic, 4)', 4)
  end subroutine dynamic_and_guided

  subroutine runtime_schedules()
    integer :: i
    integer(omp_sched_kind) :: k
    ! OMP_SCHEDULE=dynamic,4 (the test's environment)
    call omp_get_schedule(k, chunk_got)
    kind_got = k
    call expect('omp_get_schedule kind from OMP_SCHEDULE=dynamic,4', kind_got, omp_sched_dynamic)
    call expect('omp_get_schedule chunk from OMP_SCHEDULE=dynamic,4', chunk_got, 4)
    call reset()
    !$omp parallel shared(owner, times)
    !$omp do schedule(runtime)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_chunks_of('schedule(runtime), OMP_SCHEDULE=dynamic,4', 4)

    call omp_set_schedule(omp_sched_static, 6)
    call omp_get_schedule(k, chunk_got)
    call expect('omp_set_schedule(static, 6): kind', int(k), omp_sched_static)
    call expect('omp_set_schedule(static, 6): chunk', chunk_got, 6)
    call reset()
    !$omp parallel do schedule(runtime) shared(owner, times)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end parallel do
    call expect_round_robin('schedule(runtime) after omp_set_schedule(static, 6)', 6)

    call omp_set_schedule(omp_sched_guided, 2)
    call omp_get_schedule(k, chunk_got)
    call expect('omp_set_schedule(guided, 2): kind', int(k), omp_sched_guided)
    call expect('omp_set_schedule(guided, 2): chunk', chunk_got, 2)
    call reset()
    !$omp parallel shared(owner, times)
    !$omp do schedule(runtime)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect_runs_at_least('schedule(runtime) after omp_set_schedule(guided, 2)', 2)

    call omp_set_schedule(omp_sched_auto, 0)
    call omp_get_schedule(k, chunk_got)
    call expect('omp_set_schedule(auto): kind', int(k), omp_sched_auto)
    call reset()
    !$omp parallel do schedule(runtime) shared(owner, times)
    do i = 1, n
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end parallel do
    call expect_cover('schedule(runtime) after omp_set_schedule(auto)')
    call omp_set_schedule(omp_sched_dynamic, 4)
  end subroutine runtime_schedules

  subroutine collapsed()
    integer, parameter :: ni = 17, nj = 13, nk = 5
    integer :: i, j, k, own2(ni, nj), cnt2(ni, nj), cnt3(nk, nj, ni), logical_it, prev
    own2 = -1
    cnt2 = 0
    !$omp parallel shared(own2, cnt2)
    !$omp do collapse(2) schedule(static, 5)
    do j = 1, nj
      do i = 1, ni
        own2(i, j) = omp_get_thread_num()
        cnt2(i, j) = cnt2(i, j) + 1
      end do
    end do
    !$omp end do
    !$omp end parallel
    call expect('collapse(2): iterations that did not run once', count(cnt2 /= 1), 0)
    ! the collapsed iteration space is numbered j-major (the outer loop first)
    do j = 1, nj
      do i = 1, ni
        logical_it = (j - 1) * ni + (i - 1)
        if (own2(i, j) /= mod(logical_it / 5, nthreads)) then
          call fail('collapse(2) schedule(static, 5): thread of logical iteration', &
            own2(i, j), mod(logical_it / 5, nthreads))
          exit
        end if
      end do
    end do

    own2 = -1
    cnt2 = 0
    !$omp parallel do collapse(2) schedule(static) shared(own2, cnt2)
    do j = 1, nj
      do i = 1, ni
        own2(i, j) = omp_get_thread_num()
        cnt2(i, j) = cnt2(i, j) + 1
      end do
    end do
    !$omp end parallel do
    call expect('parallel do collapse(2): iterations that did not run once', count(cnt2 /= 1), 0)
    prev = 0
    do j = 1, nj
      do i = 1, ni
        if (own2(i, j) < prev) call fail('collapse(2) schedule(static): thread numbers decrease', &
          own2(i, j), prev)
        prev = own2(i, j)
      end do
    end do

    cnt3 = 0
    !$omp parallel do collapse(3) schedule(dynamic, 3) shared(cnt3)
    do i = 1, ni
      do j = 1, nj
        do k = 1, nk
          !$omp atomic
          cnt3(k, j, i) = cnt3(k, j, i) + 1
        end do
      end do
    end do
    !$omp end parallel do
    call expect('collapse(3) dynamic: iterations that did not run once', count(cnt3 /= 1), 0)
  end subroutine collapsed

  subroutine ordered_loops()
    integer :: i, pos, seq(n), work(n)
    pos = 0
    seq = 0
    work = 0
    !$omp parallel shared(pos, seq, work)
    !$omp do ordered schedule(dynamic, 3)
    do i = 1, n
      work(i) = i * 2 ! outside the ordered region: any order
      !$omp ordered
      pos = pos + 1
      seq(pos) = i
      !$omp end ordered
    end do
    !$omp end do
    !$omp end parallel
    call expect('ordered (dynamic, 3): ordered regions run', pos, n)
    do i = 1, n
      if (seq(i) /= i) then
        call fail('ordered (dynamic, 3): the i-th ordered region ran for iteration', seq(i), i)
        exit
      end if
    end do
    call expect('ordered (dynamic, 3): the unordered part', sum(work), n * (n + 1))

    pos = 0
    seq = 0
    !$omp parallel do ordered schedule(static) shared(pos, seq)
    do i = n, 1, -1
      !$omp ordered
      pos = pos + 1
      seq(pos) = i
      !$omp end ordered
    end do
    !$omp end parallel do
    do i = 1, n
      if (seq(i) /= n + 1 - i) then
        call fail('parallel do ordered (static, step -1): i-th ordered region for iteration', &
          seq(i), n + 1 - i)
        exit
      end if
    end do
  end subroutine ordered_loops

  subroutine lastprivate_and_firstprivate()
    integer :: i, x, y, z, m
    x = -1
    i = -5
    !$omp parallel shared(x)
    !$omp do lastprivate(x, i) schedule(dynamic, 11)
    do i = 1, n
      x = 3 * i
    end do
    !$omp end do
    !$omp end parallel
    call expect('lastprivate(x): the value of the last iteration', x, 3 * n)
    ! a Fortran DO variable's value after the loop: one step past the last iteration
    call expect('lastprivate(i): the DO variable after the loop', i, n + 1)

    !$omp parallel do lastprivate(i, x) schedule(static)
    do i = 1, 10, 3
      x = i * 100
    end do
    !$omp end parallel do
    call expect('lastprivate(x), step 3: last iteration 10', x, 1000)
    call expect('lastprivate(i), do i = 1, 10, 3: after the loop', i, 13)

    y = 5
    z = 0
    !$omp parallel do firstprivate(y) lastprivate(z) schedule(guided)
    do m = 1, n
      z = y + m
    end do
    !$omp end parallel do
    call expect('firstprivate(y) lastprivate(z)', z, 5 + n)
    call expect('firstprivate(y): the original', y, 5)
  end subroutine lastprivate_and_firstprivate

  ! Two static loops of the same iteration count and chunk in one region: the second may use
  ! what the first wrote for the same iteration without a barrier (nowait).
  subroutine nowait_loops()
    integer :: i, a(n), b(n), c(n)
    a = 0
    b = 0
    c = 0
    !$omp parallel shared(a, b, c)
    !$omp do schedule(static)
    do i = 1, n
      a(i) = i
    end do
    !$omp end do nowait
    !$omp do schedule(static)
    do i = 1, n
      b(i) = a(i) + 1
    end do
    !$omp end do nowait
    !$omp do schedule(static, 3)
    do i = 1, n
      c(i) = 2 * i
    end do
    !$omp end do nowait
    !$omp do schedule(static, 3)
    do i = 1, n
      c(i) = c(i) + 1
    end do
    !$omp end do nowait
    !$omp barrier
    !$omp end parallel
    call expect('nowait static loops: b(i) /= a(i) + 1 count', count(b /= a + 1), 0)
    call expect('nowait static chunk loops: c(i) /= 2i+1 count', &
      count(c /= 2 * [(i, i = 1, n)] + 1), 0)
  end subroutine nowait_loops

  subroutine other_bounds()
    integer :: i, hits, s
    integer(8) :: k, s8, cnt8
    ! step -2 with dynamic chunks: the odd iterations n, n-2, ..., 1
    call reset()
    !$omp parallel do schedule(dynamic, 3) shared(owner, times)
    do i = n, 1, -2
      owner(i) = omp_get_thread_num()
      times(i) = times(i) + 1
    end do
    !$omp end parallel do
    call expect('do i = n, 1, -2: odd iterations not run once', count(times(1:n:2) /= 1), 0)
    call expect('do i = n, 1, -2: even iterations run', count(times(2:n:2) /= 0), 0)

    ! a loop without iterations
    hits = 0
    s = 0
    !$omp parallel shared(hits)
    !$omp do schedule(dynamic)
    do i = 1, s
      !$omp atomic
      hits = hits + 1
    end do
    !$omp end do
    !$omp do schedule(static)
    do i = s + 10, s + 1
      !$omp atomic
      hits = hits + 1
    end do
    !$omp end do
    !$omp end parallel
    call expect('zero-trip loops: iterations run', hits, 0)

    ! 64-bit iteration variables beyond 2**31
    s8 = 0
    cnt8 = 0
    !$omp parallel do schedule(dynamic, 7) reduction(+:s8, cnt8)
    do k = 2_8**32 - 50, 2_8**32 + 49
      s8 = s8 + (k - 2_8**32)
      cnt8 = cnt8 + 1
    end do
    !$omp end parallel do
    call expect('integer(8) loop: iterations', int(cnt8), 100)
    call expect('integer(8) loop: sum of offsets', int(s8), -50)
    s8 = 0
    !$omp parallel do schedule(static, 3) reduction(+:s8)
    do k = 3000000000_8, 1000000000_8, -100000000_8
      s8 = s8 + k / 100000000_8
    end do
    !$omp end parallel do
    call expect('integer(8) loop, step -1e8: sum', int(s8), sum([(int(i), i = 10, 30)]))
  end subroutine other_bounds

end program worksharing_do
