! orphaned: directives outside the lexical extent of any parallel construct, in module
! procedures called from a parallel region (where they bind to its team) and from serial code
! (where they bind to a team of one): do (static, dynamic, with a reduction into a dummy
! argument, lastprivate), barrier, single, critical, master, sections, and tasks with taskwait,
! two calls deep. Exact checks; a wrong answer is printed and the program ends with stop 1.
module orphans
  use omp_lib
  implicit none
contains

  subroutine fill(a, owner)
    integer, intent(inout) :: a(:), owner(:)
    integer :: i
    !$omp do schedule(static)
    do i = 1, size(a)
      a(i) = 3 * i
      owner(i) = omp_get_thread_num()
    end do
    !$omp end do
  end subroutine fill

  ! the reduction variable is a dummy argument: shared in the calling region
  subroutine add_up(a, total, last)
    integer, intent(in) :: a(:)
    integer, intent(inout) :: total, last
    integer :: i
    !$omp do schedule(dynamic, 16) reduction(+:total) lastprivate(last)
    do i = 1, size(a)
      total = total + a(i)
      last = a(i)
    end do
    !$omp end do
  end subroutine add_up

  ! two levels of calls down to a barrier
  subroutine phases(slots, early)
    integer, intent(inout) :: slots(0:), early
    integer :: p
    do p = 1, 50
      call one_phase(slots, early, p)
    end do
  end subroutine phases

  subroutine one_phase(slots, early, p)
    integer, intent(inout) :: slots(0:), early
    integer, intent(in) :: p
    slots(omp_get_thread_num()) = p
    !$omp barrier
    if (any(slots(0:omp_get_num_threads() - 1) /= p)) then
      !$omp atomic
      early = early + 1
    end if
    !$omp barrier
  end subroutine one_phase

  subroutine once_per_team(singles, masters, criticals, sections_ran)
    integer, intent(inout) :: singles, masters, criticals, sections_ran(3)
    !$omp single
    singles = singles + 1
    !$omp end single
    !$omp master
    masters = masters + 1
    !$omp end master
    !$omp critical (orphan_crit)
    criticals = criticals + 1
    !$omp end critical (orphan_crit)
    !$omp sections
    !$omp section
    sections_ran(1) = sections_ran(1) + 1
    !$omp section
    sections_ran(2) = sections_ran(2) + 1
    !$omp section
    sections_ran(3) = sections_ran(3) + 1
    !$omp end sections
  end subroutine once_per_team

  subroutine make_tasks(results)
    integer, intent(inout) :: results(:)
    integer :: k
    !$omp single
    do k = 1, size(results)
      !$omp task firstprivate(k) shared(results)
      results(k) = k * k
      !$omp end task
    end do
    !$omp taskwait
    !$omp end single
  end subroutine make_tasks
end module orphans

program orphaned
  use omp_lib
  use orphans
  implicit none
  integer, parameter :: n = 500
  integer :: a(n), owner(n), total, last, slots(0:63), early, singles, masters, criticals
  integer :: sections_ran(3), results(20), nfail, nthreads, t, k

  nfail = 0
  nthreads = omp_get_max_threads()

  ! inside a region
  a = 0
  owner = -1
  total = 0
  last = -1
  slots = 0
  early = 0
  singles = 0
  masters = 0
  criticals = 0
  sections_ran = 0
  results = 0
  !$omp parallel shared(a, owner, total, last, slots, early, singles, masters, criticals) &
  !$omp& shared(sections_ran, results)
  call fill(a, owner)
  call add_up(a, total, last)
  call phases(slots, early)
  call once_per_team(singles, masters, criticals, sections_ran)
  call make_tasks(results)
  !$omp end parallel
  call expect('orphaned do in a region: wrong elements', count(a /= 3 * [(k, k = 1, n)]), 0)
  do t = 0, nthreads - 1
    if (count(owner == t) == 0) call fail('orphaned do in a region: thread without iterations', &
      t, -1)
  end do
  call expect('orphaned do reduction into a dummy argument', total, 3 * n * (n + 1) / 2)
  call expect('orphaned do lastprivate', last, 3 * n)
  call expect('orphaned barrier two calls deep: early passes', early, 0)
  call expect('orphaned single: executions', singles, 1)
  call expect('orphaned master: executions', masters, 1)
  call expect('orphaned critical: executions', criticals, nthreads)
  call expect('orphaned sections: executions', sum(sections_ran), 3)
  call expect('orphaned tasks + taskwait: results', sum(results), sum([(k * k, k = 1, 20)]))

  ! the same procedures from serial code: a team of one does everything
  a = 0
  owner = -1
  total = 0
  last = -1
  slots = 0
  early = 0
  singles = 0
  masters = 0
  criticals = 0
  sections_ran = 0
  results = 0
  call fill(a, owner)
  call add_up(a, total, last)
  call phases(slots, early)
  call once_per_team(singles, masters, criticals, sections_ran)
  call make_tasks(results)
  call expect('orphaned do in serial code: wrong elements', count(a /= 3 * [(k, k = 1, n)]), 0)
  call expect('orphaned do in serial code: iterations by thread 0', count(owner == 0), n)
  call expect('orphaned do reduction in serial code', total, 3 * n * (n + 1) / 2)
  call expect('orphaned do lastprivate in serial code', last, 3 * n)
  call expect('orphaned barrier in serial code', early, 0)
  call expect('orphaned single + master + critical in serial code', &
    singles + masters + criticals, 3)
  call expect('orphaned sections in serial code', sum(sections_ran), 3)
  call expect('orphaned tasks in serial code', sum(results), sum([(k * k, k = 1, 20)]))

  if (nfail > 0) then
    print '(a,i0,a)', 'orphaned: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'orphaned: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'orphaned: FAIL ', what, ': got ', got, &
      ', expected ', expected
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

end program orphaned
