! threadprivate: THREADPRIVATE common blocks (an INTEGER, an array and a REAL in /blk/, two
! INTEGERs in /other/), module variables with initial values, a SAVE variable of a function,
! and an allocatable module array. Checked: the initial values in every thread,
! copyin from the primary thread, values kept from one region to the next (same team size,
! dynamic adjustment off: the condition under which the specification keeps them), each
! thread's copy distinct, and copyprivate of a threadprivate variable. Exact checks; a wrong
! answer is printed and the program ends with stop 1.
module tp_module
  implicit none
  integer :: tp_int = 11
  real(8) :: tp_real = 2.5d0
  integer, allocatable :: tp_array(:)
  !$omp threadprivate(tp_int, tp_real, tp_array)
end module tp_module

program threadprivate
  use omp_lib
  use tp_module
  implicit none
  integer :: nfail, nthreads

  nfail = 0
  nthreads = omp_get_max_threads()
  call omp_set_dynamic(.false.)

  call initial_values()
  call copyin_and_persistence()
  call save_variable()
  call copyprivate_threadprivate()

  if (nfail > 0) then
    print '(a,i0,a)', 'threadprivate: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'threadprivate: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (tp_report)
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'threadprivate: FAIL ', what, ': got ', got, &
      ', expected ', expected
    !$omp end critical (tp_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  ! before any assignment every thread's copy holds the declaration's value
  subroutine initial_values()
    integer :: ok
    ok = 0
    !$omp parallel shared(ok)
    if (tp_int == 11 .and. tp_real == 2.5d0 .and. .not. allocated(tp_array)) then
      !$omp atomic
      ok = ok + 1
    end if
    !$omp end parallel
    call expect('initial values of threadprivate module variables', ok, nthreads)
  end subroutine initial_values

  subroutine copyin_and_persistence()
    integer :: cb_a, cb_b(4)
    real :: cb_c
    common /blk/ cb_a, cb_b, cb_c
    !$omp threadprivate(/blk/)
    integer :: other_x, other_y
    common /other/ other_x, other_y
    !$omp threadprivate(/other/)
    integer :: ok_copy, ok_kept, distinct, t
    integer :: seen(0:63)
    cb_a = 7
    cb_b = [1, 2, 3, 4]
    cb_c = 0.5
    other_x = 100
    other_y = 200
    tp_int = 55
    ok_copy = 0
    ! copyin of two common blocks (named with slashes: every member is copied) and of a
    ! module variable
    !$omp parallel copyin(/blk/, /other/, tp_int) shared(ok_copy)
    if (cb_a == 7 .and. all(cb_b == [1, 2, 3, 4]) .and. cb_c == 0.5 .and. other_x == 100 .and. &
        other_y == 200 .and. tp_int == 55) then
      !$omp atomic
      ok_copy = ok_copy + 1
    end if
    ! now give every thread its own values
    cb_a = 1000 + omp_get_thread_num()
    cb_b = omp_get_thread_num()
    other_x = -omp_get_thread_num()
    tp_int = 10 * omp_get_thread_num()
    tp_real = omp_get_thread_num() + 0.25d0
    allocate (tp_array(omp_get_thread_num() + 1))
    tp_array = omp_get_thread_num()
    !$omp end parallel
    call expect('copyin: threads that received every value', ok_copy, nthreads)

    ! the next region of the same size: each thread finds its own values again
    ok_kept = 0
    seen = 0
    !$omp parallel shared(ok_kept, seen) private(t)
    t = omp_get_thread_num()
    if (cb_a == 1000 + t .and. all(cb_b == t) .and. other_x == -t .and. tp_int == 10 * t .and. &
        tp_real == t + 0.25d0) then
      if (allocated(tp_array)) then
        if (size(tp_array) == t + 1 .and. all(tp_array == t)) then
          !$omp atomic
          ok_kept = ok_kept + 1
        end if
      end if
    end if
    !$omp atomic
    seen(mod(cb_a, 64)) = seen(mod(cb_a, 64)) + 1
    !$omp end parallel
    call expect('threadprivate values kept between regions', ok_kept, nthreads)
    distinct = count(seen == 1)
    call expect('threads whose copy is their own', distinct, nthreads)
    ! the primary thread's copies are the program's own variables
    call expect('primary thread''s cb_a after the regions', cb_a, 1000)
    call expect('primary thread''s tp_int after the regions', tp_int, 0)
  end subroutine copyin_and_persistence

  integer function bump()
    integer, save :: calls = 0
    !$omp threadprivate(calls)
    calls = calls + 1
    bump = calls
  end function bump

  ! a SAVE variable made threadprivate counts the calls of each thread separately
  subroutine save_variable()
    integer :: last(0:63), i, k
    last = -1
    !$omp parallel private(i, k) shared(last)
    k = -1
    do i = 1, 25 + omp_get_thread_num()
      k = bump()
    end do
    last(omp_get_thread_num()) = k
    !$omp end parallel
    do i = 0, nthreads - 1
      call expect('threadprivate SAVE counter of thread i (25 + i calls)', last(i), 25 + i)
    end do
  end subroutine save_variable

  subroutine copyprivate_threadprivate()
    integer :: ok
    ok = 0
    !$omp parallel shared(ok)
    tp_int = -1
    !$omp single
    tp_int = 4711
    !$omp end single copyprivate(tp_int)
    if (tp_int == 4711) then
      !$omp atomic
      ok = ok + 1
    end if
    !$omp end parallel
    call expect('copyprivate of a threadprivate variable', ok, nthreads)
  end subroutine copyprivate_threadprivate

end program threadprivate
