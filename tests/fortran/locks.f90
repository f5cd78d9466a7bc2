! locks: the lock routines through the omp_lib.h include file (the older interface, no module):
! INTEGER(omp_lock_kind) and INTEGER(omp_nest_lock_kind) variables, omp_init_lock,
! omp_set_lock / omp_unset_lock around a shared counter, a spin on
! omp_test_lock, an array of locks, omp_test_lock failing while another thread holds the lock,
! and nested locks: the depth omp_test_nest_lock returns, recursion that takes the lock again,
! and another thread's test returning 0 until the owner has released every level. Exact checks;
! a wrong answer is printed and the program ends with stop 1.
program locks
  implicit none
  include 'omp_lib.h'
  integer, parameter :: iters = 3000
  integer :: nfail, nthreads

  nfail = 0
  nthreads = omp_get_max_threads()

  call simple_locks()
  call held_lock()
  call nest_locks()

  if (nfail > 0) then
    print '(a,i0,a)', 'locks: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'locks: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (locks_report)
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'locks: FAIL ', what, ': got ', got, &
      ', expected ', expected
    !$omp end critical (locks_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  subroutine simple_locks()
    integer(omp_lock_kind) :: lck, spun, buckets(8)
    integer :: counter, by_test, inside, overlap, bucket_count(8), i, b
    call omp_init_lock(lck)
    call omp_init_lock(spun)
    do b = 1, 8
      call omp_init_lock(buckets(b))
    end do
    counter = 0
    by_test = 0
    inside = 0
    overlap = 0
    bucket_count = 0
    !$omp parallel private(i, b) shared(lck, spun, buckets, counter, by_test, inside, overlap) &
    !$omp& shared(bucket_count)
    do i = 1, iters
      call omp_set_lock(lck)
      inside = inside + 1
      if (inside /= 1) overlap = overlap + 1
      counter = counter + 1
      inside = inside - 1
      call omp_unset_lock(lck)

      do while (.not. omp_test_lock(spun))
      end do
      by_test = by_test + 1
      call omp_unset_lock(spun)

      b = mod(i + omp_get_thread_num(), 8) + 1
      call omp_set_lock(buckets(b))
      bucket_count(b) = bucket_count(b) + 1
      call omp_unset_lock(buckets(b))
    end do
    !$omp end parallel
    call omp_destroy_lock(lck)
    call omp_destroy_lock(spun)
    do b = 1, 8
      call omp_destroy_lock(buckets(b))
    end do
    call expect('omp_set_lock: increments', counter, nthreads * iters)
    call expect('omp_set_lock: two threads inside at once', overlap, 0)
    call expect('omp_test_lock spin: increments', by_test, nthreads * iters)
    call expect('array of locks: increments', sum(bucket_count), nthreads * iters)
  end subroutine simple_locks

  ! Thread 0 holds the lock while thread 1 tests it: the test fails; after the release it
  ! succeeds.
  subroutine held_lock()
    integer(omp_lock_kind) :: lck
    integer :: while_held, after_release
    call omp_init_lock(lck)
    while_held = -1
    after_release = -1
    !$omp parallel num_threads(2) shared(lck, while_held, after_release)
    if (omp_get_thread_num() == 0) call omp_set_lock(lck)
    !$omp barrier
    if (omp_get_thread_num() == 1) while_held = merge(1, 0, omp_test_lock(lck))
    !$omp barrier
    if (omp_get_thread_num() == 0) call omp_unset_lock(lck)
    !$omp barrier
    if (omp_get_thread_num() == 1) then
      after_release = merge(1, 0, omp_test_lock(lck))
      if (after_release == 1) call omp_unset_lock(lck)
    end if
    !$omp end parallel
    call omp_destroy_lock(lck)
    call expect('omp_test_lock while another thread holds the lock', while_held, 0)
    call expect('omp_test_lock after the release', after_release, 1)
  end subroutine held_lock

  recursive subroutine take_levels(nl, depth, total)
    integer(omp_nest_lock_kind), intent(inout) :: nl
    integer, intent(in) :: depth
    integer, intent(inout) :: total
    call omp_set_nest_lock(nl)
    total = total + 1
    if (depth > 1) call take_levels(nl, depth - 1, total)
    call omp_unset_nest_lock(nl)
  end subroutine take_levels

  subroutine nest_locks()
    integer(omp_nest_lock_kind) :: nl
    integer :: depths(3), other_while_held, other_after, total, i
    call omp_init_nest_lock(nl)
    depths = -1
    other_while_held = -1
    other_after = -1
    !$omp parallel num_threads(2) shared(nl, depths, other_while_held, other_after)
    if (omp_get_thread_num() == 0) then
      call omp_set_nest_lock(nl)             ! depth 1
      depths(1) = omp_test_nest_lock(nl)     ! depth 2
      depths(2) = omp_test_nest_lock(nl)     ! depth 3
    end if
    !$omp barrier
    if (omp_get_thread_num() == 1) other_while_held = omp_test_nest_lock(nl)
    !$omp barrier
    if (omp_get_thread_num() == 0) then
      call omp_unset_nest_lock(nl)
      call omp_unset_nest_lock(nl)
      depths(3) = omp_test_nest_lock(nl)     ! back to 2
      call omp_unset_nest_lock(nl)
      call omp_unset_nest_lock(nl)           ! released
    end if
    !$omp barrier
    if (omp_get_thread_num() == 1) then
      other_after = omp_test_nest_lock(nl)
      if (other_after > 0) call omp_unset_nest_lock(nl)
    end if
    !$omp end parallel
    call expect('omp_test_nest_lock by the owner: depth 2', depths(1), 2)
    call expect('omp_test_nest_lock by the owner: depth 3', depths(2), 3)
    call expect('omp_test_nest_lock after two releases: depth 2', depths(3), 2)
    call expect('omp_test_nest_lock by another thread while held', other_while_held, 0)
    call expect('omp_test_nest_lock by another thread once released', other_after, 1)

    ! every thread takes the lock recursively, 5 levels deep, many times
    total = 0
    !$omp parallel private(i) shared(nl, total)
    do i = 1, 200
      call take_levels(nl, 5, total)
    end do
    !$omp end parallel
    call omp_destroy_nest_lock(nl)
    call expect('nested lock taken recursively: increments', total, 5 * 200 * nthreads)
  end subroutine nest_locks

end program locks
