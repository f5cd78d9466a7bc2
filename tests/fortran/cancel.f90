! cancel: cancellation with OMP_CANCELLATION=true (set by the test). cancel do (the cancelling
! thread leaves the loop at once; the others at their next cancellation point; the next loop
! runs whole), cancel parallel (nobody gets past a barrier the cancelling thread never reaches),
! cancel taskgroup (tasks that start afterwards stop at their cancellation point; the canceller
! does not go on), and regions after a cancellation that run normally. The checks are those
! that hold whatever the timing; a wrong answer is printed and the program ends with stop 1.
program cancel
  use omp_lib
  implicit none
  integer :: nfail, nthreads

  nfail = 0
  nthreads = omp_get_max_threads()
  if (.not. omp_get_cancellation()) then
    print '(a)', 'cancel: omp_get_cancellation() is .false.: run with OMP_CANCELLATION=true'
    stop 1
  end if

  call cancel_do()
  call cancel_parallel()
  call cancel_taskgroup()

  if (nfail > 0) then
    print '(a,i0,a)', 'cancel: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'cancel: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (cancel_report)
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'cancel: FAIL ', what, ': got ', got, &
      ', expected ', expected
    !$omp end critical (cancel_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  ! Iteration 1 belongs to thread 0 (static schedule), which cancels there: it runs none of its
  ! later iterations (2..its block's end) and not the statement after the cancel construct.
  subroutine cancel_do()
    integer, parameter :: n = 4000
    integer :: i, done(n), after_cancel, round, full
    do round = 1, 5
      done = 0
      after_cancel = 0
      full = 0
      !$omp parallel shared(done, after_cancel, full)
      !$omp do schedule(static)
      do i = 1, n
        done(i) = 1
        if (i == 1) then
          !$omp cancel do
          after_cancel = after_cancel + 1
        end if
        !$omp cancellation point do
      end do
      !$omp end do
      ! a later loop of the same region is not cancelled
      !$omp do schedule(static) reduction(+:full)
      do i = 1, n
        full = full + 1
      end do
      !$omp end do
      !$omp end parallel
      call expect('cancel do: statements after the cancel construct run', after_cancel, 0)
      call expect('cancel do: iteration 1 ran', done(1), 1)
      call expect('cancel do: thread 0''s iterations after the cancel (2..100)', &
        sum(done(2:100)), 0)
      call expect('cancel do: the next loop of the region', full, n)
      if (nfail > 0) exit
    end do
  end subroutine cancel_do

  ! Thread 0 cancels before a barrier it never reaches: the barrier cannot complete normally,
  ! so nobody runs what follows it; the code before the cancel ran on every thread.
  subroutine cancel_parallel()
    integer :: before, past_barrier, after_cancel, round, next_region
    do round = 1, 5
      before = 0
      past_barrier = 0
      after_cancel = 0
      !$omp parallel shared(before, past_barrier, after_cancel)
      !$omp atomic
      before = before + 1
      if (omp_get_thread_num() == 0) then
        !$omp cancel parallel
        after_cancel = after_cancel + 1
      end if
      !$omp barrier
      !$omp atomic
      past_barrier = past_barrier + 1
      !$omp end parallel
      call expect('cancel parallel: threads that started', before, nthreads)
      call expect('cancel parallel: statements after the cancel construct run', after_cancel, 0)
      call expect('cancel parallel: threads past the barrier', past_barrier, 0)
      ! the next region is a full one
      next_region = 0
      !$omp parallel shared(next_region)
      !$omp barrier
      !$omp atomic
      next_region = next_region + 1
      !$omp end parallel
      call expect('cancel parallel: the next region''s threads past its barrier', next_region, &
        nthreads)
      if (nfail > 0) exit
    end do
  end subroutine cancel_parallel

  ! An undeferred task cancels the taskgroup; the tasks created after it start (if at all) at a
  ! cancellation point that ends them, so none does the work after it.
  subroutine cancel_taskgroup()
    integer :: after_cancel, worked, k, round, uncancelled
    do round = 1, 5
      after_cancel = 0
      worked = 0
      uncancelled = 0
      !$omp parallel shared(after_cancel, worked, uncancelled)
      !$omp single
      !$omp taskgroup
      !$omp task if(.false.) shared(after_cancel)
      !$omp cancel taskgroup
      after_cancel = after_cancel + 1
      !$omp end task
      do k = 1, 50
        !$omp task shared(worked)
        !$omp cancellation point taskgroup
        !$omp atomic
        worked = worked + 1
        !$omp end task
      end do
      !$omp end taskgroup
      ! a new taskgroup is not cancelled
      !$omp taskgroup
      do k = 1, 20
        !$omp task shared(uncancelled)
        !$omp cancellation point taskgroup
        !$omp atomic
        uncancelled = uncancelled + 1
        !$omp end task
      end do
      !$omp end taskgroup
      !$omp end single
      !$omp end parallel
      call expect('cancel taskgroup: statements after the cancel construct run', after_cancel, 0)
      call expect('cancel taskgroup: tasks past their cancellation point', worked, 0)
      call expect('a taskgroup after a cancelled one: tasks done', uncancelled, 20)
      if (nfail > 0) exit
    end do
  end subroutine cancel_taskgroup

end program cancel
