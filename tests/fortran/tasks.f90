! tasks: explicit tasks as a Fortran program writes them. task and taskwait (a recursive
! function), data sharing of tasks (firstprivate by default, shared), tasks from every thread
! completed by the barrier, taskgroup (waits for descendants), depend(in/out/inout) on array
! elements and scalars (chains, fan-in, an ordered inout chain), final (included tasks run at
! once, omp_in_final), if(.false.) (undeferred), untied with taskyield, taskloop (grainsize,
! num_tasks, reduction, nogroup), task reductions (taskgroup task_reduction with tasks and
! nested tasks in_reduction). Exact checks; a wrong answer is printed and the program ends with
! stop 1.
module task_helpers
  implicit none
contains
  recursive integer function fib(n) result(r)
    integer, intent(in) :: n
    integer :: a, b
    if (n < 2) then
      r = n
      return
    end if
    !$omp task shared(a) firstprivate(n)
    a = fib(n - 1)
    !$omp end task
    !$omp task shared(b) firstprivate(n)
    b = fib(n - 2)
    !$omp end task
    !$omp taskwait
    r = a + b
  end function fib

  ! a tree of tasks that returns at once: only a taskgroup waits for all of them
  recursive subroutine spawn_tree(depth, counter)
    integer, intent(in) :: depth
    integer, intent(inout) :: counter
    integer :: k
    !$omp atomic
    counter = counter + 1
    if (depth == 0) return
    do k = 1, 3
      !$omp task shared(counter) firstprivate(depth)
      call spawn_tree(depth - 1, counter)
      !$omp end task
    end do
  end subroutine spawn_tree
end module task_helpers

program tasks
  use omp_lib
  use task_helpers
  implicit none
  integer :: nfail, nthreads

  nfail = 0
  nthreads = omp_get_max_threads()

  call basic_tasks()
  call groups()
  call dependences()
  call final_if_untied()
  call taskloops()
  call task_reductions()

  if (nfail > 0) then
    print '(a,i0,a)', 'tasks: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'tasks: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (tasks_report)
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'tasks: FAIL ', what, ': got ', got, &
      ', expected ', expected
    !$omp end critical (tasks_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  subroutine basic_tasks()
    integer :: f, created, done, mine, seen_ok, k
    !$omp parallel shared(f)
    !$omp single
    f = fib(18)
    !$omp end single
    !$omp end parallel
    call expect('fib(18) with a task per call', f, 2584)

    ! every thread creates tasks; the region's end completes them all. A task's copy of the
    ! creating thread's private variable is taken when the task is created (firstprivate by
    ! default), whatever the variable holds later.
    created = 0
    done = 0
    seen_ok = 0
    !$omp parallel private(mine, k) shared(created, done, seen_ok)
    do k = 1, 50
      mine = omp_get_thread_num() * 1000 + k
      !$omp atomic
      created = created + 1
      !$omp task
      if (mine >= 0 .and. mod(mine, 1000) == k) then
        !$omp atomic
        seen_ok = seen_ok + 1
      end if
      !$omp atomic
      done = done + 1
      !$omp end task
      mine = -1
    end do
    !$omp barrier
    if (done /= created) call fail('tasks not done at the barrier (done, created)', done, created)
    !$omp end parallel
    call expect('tasks from every thread: done', done, 50 * nthreads)
    call expect('tasks saw their firstprivate copies', seen_ok, 50 * nthreads)
  end subroutine basic_tasks

  subroutine groups()
    integer :: counter, children(8), k, after_wait
    counter = 0
    !$omp parallel shared(counter)
    !$omp single
    !$omp taskgroup
    call spawn_tree(5, counter)
    !$omp end taskgroup
    ! 1 + 3 + 9 + ... + 3**5 calls, every one finished at the end of the taskgroup
    call expect('taskgroup: descendants done at its end', counter, (3**6 - 1) / 2)
    !$omp end single
    !$omp end parallel

    ! taskwait: the children are done
    children = 0
    after_wait = -1
    !$omp parallel shared(children, after_wait)
    !$omp single
    do k = 1, 8
      !$omp task firstprivate(k) shared(children)
      children(k) = k
      !$omp end task
    end do
    !$omp taskwait
    after_wait = sum(children)
    !$omp end single
    !$omp end parallel
    call expect('taskwait: the children''s results', after_wait, 36)
  end subroutine groups

  subroutine dependences()
    integer :: a(10), b(10), c(10), x, readers(6), k, final_read
    integer(8) :: s, s_serial
    a = 0
    b = 0
    c = 0
    x = 7
    readers = -1
    final_read = -1
    s = 1
    !$omp parallel shared(a, b, c, x, readers, final_read, s)
    !$omp single
    ! a chain through array elements: a(k) = a(k-1) + 1
    !$omp task depend(out: a(1)) shared(a)
    a(1) = 1
    !$omp end task
    do k = 2, 10
      !$omp task depend(in: a(k - 1)) depend(out: a(k)) shared(a) firstprivate(k)
      a(k) = a(k - 1) + 1
      !$omp end task
    end do
    ! independent elements: each reader waits for its own writer only
    do k = 1, 10
      !$omp task depend(out: b(k)) shared(b) firstprivate(k)
      b(k) = k * k
      !$omp end task
    end do
    do k = 10, 1, -1
      !$omp task depend(in: b(k)) shared(b, c) firstprivate(k)
      c(k) = 2 * b(k)
      !$omp end task
    end do
    ! fan-in: readers of x run before the inout task that changes it, the last reader after
    do k = 1, 6
      !$omp task depend(in: x) shared(x, readers) firstprivate(k)
      readers(k) = x
      !$omp end task
    end do
    !$omp task depend(inout: x) shared(x)
    x = x * 10
    !$omp end task
    !$omp task depend(in: x) shared(x, final_read)
    final_read = x
    !$omp end task
    ! an inout chain whose result depends on the order
    do k = 1, 40
      !$omp task depend(inout: s) shared(s) firstprivate(k)
      s = mod(s * 31 + k, 1000003_8)
      !$omp end task
    end do
    !$omp end single
    !$omp end parallel
    do k = 1, 10
      call expect('depend chain on array elements: a(k)', a(k), k)
      call expect('depend on b(k): c(k)', c(k), 2 * k * k)
    end do
    call expect('depend(in) readers before depend(inout): lowest value read', minval(readers), 7)
    call expect('depend(in) readers before depend(inout): highest value read', maxval(readers), 7)
    call expect('depend(in) after depend(inout)', final_read, 70)
    s_serial = 1
    do k = 1, 40
      s_serial = mod(s_serial * 31 + k, 1000003_8)
    end do
    call expect('depend(inout) chain in creation order', int(s), int(s_serial))
  end subroutine dependences

  subroutine final_if_untied()
    integer :: pos, order(5), at_creation(5), in_final_outer, in_final_inner, k
    integer :: undeferred, total
    logical :: cond
    pos = 0
    order = 0
    at_creation = -1
    in_final_outer = -1
    in_final_inner = 0
    !$omp parallel shared(pos, order, at_creation, in_final_outer, in_final_inner)
    !$omp single
    call expect('omp_in_final() outside any task', merge(1, 0, omp_in_final()), 0)
    !$omp task final(.true.) shared(pos, order, at_creation, in_final_outer, in_final_inner)
    in_final_outer = merge(1, 0, omp_in_final())
    do k = 1, 5
      ! an included task: it runs at once, before the next statement
      !$omp task shared(pos, order, in_final_inner) firstprivate(k)
      pos = pos + 1
      order(pos) = k
      if (omp_in_final()) in_final_inner = in_final_inner + 1
      !$omp end task
      at_creation(k) = pos
    end do
    !$omp end task
    !$omp end single
    !$omp end parallel
    call expect('final(.true.) task: omp_in_final()', in_final_outer, 1)
    call expect('tasks inside a final task: omp_in_final() true in', in_final_inner, 5)
    do k = 1, 5
      call expect('included task k done before the next statement', at_creation(k), k)
      call expect('included tasks in order', order(k), k)
    end do

    ! if(.false.): the creating task waits for the task, whose result is there at once
    undeferred = 0
    cond = .false.
    !$omp parallel shared(undeferred) firstprivate(cond)
    !$omp single
    do k = 1, 20
      !$omp task if(cond) shared(undeferred)
      undeferred = undeferred + 1
      !$omp end task
      if (undeferred /= k) call fail('if(.false.) task not finished after its construct', &
        undeferred, k)
    end do
    !$omp end single
    !$omp end parallel

    ! untied tasks that yield
    total = 0
    !$omp parallel shared(total)
    !$omp single
    do k = 1, 100
      !$omp task untied shared(total) firstprivate(k)
      !$omp taskyield
      !$omp atomic
      total = total + k
      !$omp taskyield
      !$omp end task
    end do
    !$omp taskwait
    call expect('untied tasks with taskyield: sum', total, 5050)
    !$omp end single
    !$omp end parallel
  end subroutine final_if_untied

  ! Each task's firstprivate `first` starts at -1 and records the first iteration the task
  ! ran: owner(i) names the task of iteration i, which counts the tasks and their sizes.
  subroutine taskloops()
    integer, parameter :: m = 100
    integer :: owner(m), times(m), i, first, ntasks, k, lo, s, ndone
    integer :: sizes(m)
    real(8) :: dsum
    owner = -1
    times = 0
    !$omp parallel shared(owner, times)
    !$omp single
    first = -1
    !$omp taskloop grainsize(10) firstprivate(first) shared(owner, times)
    do i = 1, m
      if (first < 0) first = i
      owner(i) = first
      times(i) = times(i) + 1
    end do
    !$omp end taskloop
    !$omp end single
    !$omp end parallel
    call expect('taskloop grainsize(10): iterations not run once', count(times /= 1), 0)
    call task_sizes(owner, ntasks, sizes)
    ! every task has at least 10 and fewer than 20 iterations
    call expect('taskloop grainsize(10): smallest task', minval(sizes(1:ntasks)), 10)
    if (maxval(sizes(1:ntasks)) >= 20) call fail('taskloop grainsize(10): a task of', &
      maxval(sizes(1:ntasks)), 19)

    owner = -1
    times = 0
    !$omp parallel shared(owner, times)
    !$omp single
    first = -1
    !$omp taskloop num_tasks(7) firstprivate(first) shared(owner, times)
    do i = 1, m
      if (first < 0) first = i
      owner(i) = first
      times(i) = times(i) + 1
    end do
    !$omp end taskloop
    !$omp end single
    !$omp end parallel
    call expect('taskloop num_tasks(7): iterations not run once', count(times /= 1), 0)
    call task_sizes(owner, ntasks, sizes)
    call expect('taskloop num_tasks(7): tasks', ntasks, 7)

    ! reduction, on a loop with a step
    s = 10
    dsum = 0
    !$omp parallel shared(s, dsum)
    !$omp single
    !$omp taskloop reduction(+:s, dsum) grainsize(3)
    do k = 3, 300, 3
      s = s + k
      dsum = dsum + 0.5d0
    end do
    !$omp end taskloop
    !$omp end single
    !$omp end parallel
    call expect('taskloop reduction(+), integer', s, 10 + 3 * 5050)
    call expect('taskloop reduction(+), real(8) times 2', int(2 * dsum), 100)

    ! nogroup: the loop's tasks are children of the encountering task, for taskwait
    ndone = 0
    !$omp parallel shared(ndone)
    !$omp single
    !$omp taskloop nogroup num_tasks(4) shared(ndone)
    do lo = 1, 40
      !$omp atomic
      ndone = ndone + 1
    end do
    !$omp end taskloop
    !$omp taskwait
    call expect('taskloop nogroup + taskwait: iterations', ndone, 40)
    !$omp end single
    !$omp end parallel
  end subroutine taskloops

  subroutine task_sizes(owner, ntasks, sizes)
    integer, intent(in) :: owner(:)
    integer, intent(out) :: ntasks, sizes(:)
    integer :: i
    ntasks = 0
    sizes = 0
    do i = 1, size(owner)
      if (owner(i) == i) ntasks = ntasks + 1
      if (owner(i) >= 1 .and. owner(i) <= size(owner)) sizes(owner(i)) = sizes(owner(i)) + 1
    end do
    sizes(1:ntasks) = pack(sizes, sizes > 0)
  end subroutine task_sizes

  subroutine task_reductions()
    integer :: s, k, mx
    real(8) :: p
    s = 100
    p = 1d0
    mx = 0
    !$omp parallel shared(s, p, mx)
    !$omp single
    !$omp taskgroup task_reduction(+:s) task_reduction(*:p) task_reduction(max:mx)
    do k = 1, 30
      !$omp task in_reduction(+:s) in_reduction(*:p) in_reduction(max:mx) firstprivate(k)
      s = s + k
      if (mod(k, 10) == 0) p = p * 2d0
      mx = max(mx, k * 7)
      ! a nested task joins the same reduction
      !$omp task in_reduction(+:s) firstprivate(k)
      s = s + 1000 * k
      !$omp end task
      !$omp end task
    end do
    !$omp end taskgroup
    call expect('task_reduction(+) with in_reduction tasks', s, 100 + 465 + 1000 * 465)
    call expect('task_reduction(*) real(8)', int(p), 8)
    call expect('task_reduction(max)', mx, 210)
    !$omp end single
    !$omp end parallel
  end subroutine task_reductions

end program tasks
