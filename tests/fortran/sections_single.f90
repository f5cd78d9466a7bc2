! sections_single: the worksharing constructs other than do. sections (each section once,
! private/firstprivate/lastprivate/reduction, nowait, the combined parallel sections), single
! (once per encounter, copyprivate of scalars, arrays and a CHARACTER string, nowait),
! workshare (array assignments, WHERE/ELSEWHERE, FORALL, array intrinsics, scalar assignments,
! the combined parallel workshare) and master / masked (with and without filter). Exact checks;
! a wrong answer is printed and the program ends with stop 1.
program sections_single
  use omp_lib
  implicit none
  integer :: nfail, nthreads

  nfail = 0
  nthreads = omp_get_max_threads()

  call sections_construct()
  call single_construct()
  call workshare_construct()
  call master_masked()

  if (nfail > 0) then
    print '(a,i0,a)', 'sections_single: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'sections_single: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (ss_report)
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'sections_single: FAIL ', what, ': got ', got, &
      ', expected ', expected
    !$omp end critical (ss_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  subroutine sections_construct()
    integer :: ran(5), who(5), x, y, s, rep
    ran = 0
    who = -1
    x = -1
    y = 100
    s = 0
    do rep = 1, 20
      ran = 0
      !$omp parallel shared(ran, who)
      !$omp sections firstprivate(y) lastprivate(x) reduction(+:s)
      !$omp section
      ran(1) = ran(1) + 1
      who(1) = omp_get_thread_num()
      x = 1 + y
      s = s + 1
      !$omp section
      ran(2) = ran(2) + 1
      x = 2 + y
      s = s + 10
      !$omp section
      ran(3) = ran(3) + 1
      x = 3 + y
      s = s + 100
      !$omp section
      ran(4) = ran(4) + 1
      x = 4 + y
      s = s + 1000
      !$omp section
      ran(5) = ran(5) + 1
      ! the lexically last section assigns x: lastprivate takes this value
      x = 5 + y
      y = -7
      s = s + 10000
      !$omp end sections
      !$omp end parallel
      if (any(ran /= 1)) then
        call fail('sections: a section did not run exactly once (its number)', &
          findloc(ran /= 1, .true., dim=1), 0)
        exit
      end if
    end do
    call expect('sections lastprivate(x): from the last section', x, 105)
    call expect('sections firstprivate(y): the original', y, 100)
    call expect('sections reduction(+:s) over 20 rounds', s, 20 * 11111)

    ! parallel sections, and sections nowait followed by a barrier
    ran = 0
    !$omp parallel sections shared(ran)
    !$omp section
    ran(1) = omp_get_num_threads()
    !$omp section
    ran(2) = 1
    !$omp section
    ran(3) = 1
    !$omp end parallel sections
    call expect('parallel sections: team size seen in a section', ran(1), nthreads)
    call expect('parallel sections: sections 2 and 3', ran(2) + ran(3), 2)

    ran = 0
    !$omp parallel shared(ran)
    !$omp sections
    !$omp section
    !$omp atomic
    ran(1) = ran(1) + 1
    !$omp section
    !$omp atomic
    ran(2) = ran(2) + 1
    !$omp end sections nowait
    !$omp barrier
    !$omp single
    ran(3) = ran(1) + ran(2)
    !$omp end single
    !$omp end parallel
    call expect('sections nowait + barrier: both sections done before the single', ran(3), 2)
  end subroutine sections_construct

  subroutine single_construct()
    integer :: count_single, copies_ok, round, v(4), vs(4)
    integer :: val
    character(len=12) :: word
    real(8) :: d
    count_single = 0
    copies_ok = 0
    !$omp parallel private(val, v, word, d) shared(count_single, copies_ok, vs)
    do round = 1, 10
      !$omp single
      count_single = count_single + 1
      !$omp end single
    end do
    val = -1
    v = -1
    word = 'none'
    d = -1
    !$omp single
    val = 4242
    v = [1, 2, 3, 4] * (omp_get_thread_num() + 1) ! the single thread's own values
    vs = v
    word = 'copyprivate'
    d = 0.125d0
    !$omp end single copyprivate(val, v, word, d)
    ! every thread now holds the single thread's values
    if (val == 4242 .and. all(v == vs) .and. word == 'copyprivate' .and. &
        d == 0.125d0) then
      !$omp atomic
      copies_ok = copies_ok + 1
    end if
    !$omp end parallel
    call expect('single: executions over 10 encounters', count_single, 10)
    call expect('single copyprivate: threads that received every value', copies_ok, nthreads)

    ! single nowait: the others go on; a barrier later sees its effect
    count_single = 0
    !$omp parallel shared(count_single)
    !$omp single
    count_single = 1
    !$omp end single nowait
    !$omp barrier
    if (count_single /= 1) call fail('single nowait: not seen after the barrier', count_single, 1)
    !$omp end parallel
  end subroutine single_construct

  subroutine workshare_construct()
    integer, parameter :: m = 1000
    integer :: i
    real(8) :: a(m), b(m), c(m), total
    integer :: ia(m), sq(m), mx, cnt
    b = [(dble(i), i = 1, m)]
    c = 2.0d0
    !$omp parallel shared(a, b, c, ia, sq, total, mx, cnt)
    !$omp workshare
    a = b * c + 1.0d0               ! 2i + 1
    ia = int(a)
    where (ia > 1000)
      ia = -ia
    elsewhere
      ia = ia * 10
    end where
    forall (i = 1:m) sq(i) = i * i
    total = sum(a)
    mx = maxval(sq)
    cnt = count(ia < 0)
    !$omp end workshare
    !$omp end parallel
    call expect('workshare: a = b*c + 1, wrong elements', &
      count(a /= 2 * [(dble(i), i = 1, m)] + 1), 0)
    do i = 1, m
      if (ia(i) /= merge(-(2 * i + 1), (2 * i + 1) * 10, 2 * i + 1 > 1000)) then
        call fail('workshare WHERE/ELSEWHERE: element', i, ia(i))
        exit
      end if
    end do
    call expect('workshare FORALL: wrong squares', count(sq /= [(i * i, i = 1, m)]), 0)
    call expect('workshare sum(a)', int(total), m * (m + 1) + m)
    call expect('workshare maxval(sq)', mx, m * m)
    call expect('workshare count(ia < 0)', cnt, 501) ! 2i + 1 > 1000 for i = 500..1000

    sq = 0
    !$omp parallel workshare shared(sq, ia)
    sq = [(i, i = 1, m)]
    ia = sq(m:1:-1)
    !$omp end parallel workshare
    call expect('parallel workshare: reversed copy, wrong elements', &
      count(ia /= [(m + 1 - i, i = 1, m)]), 0)
  end subroutine workshare_construct

  subroutine master_masked()
    integer :: by_master, by_masked0, by_masked1, who_master, who_masked1
    by_master = 0
    by_masked0 = 0
    by_masked1 = 0
    who_master = -1
    who_masked1 = -1
    !$omp parallel shared(by_master, by_masked0, by_masked1, who_master, who_masked1)
    !$omp master
    by_master = by_master + 1
    who_master = omp_get_thread_num()
    !$omp end master
    !$omp masked
    !$omp atomic
    by_masked0 = by_masked0 + 1
    !$omp end masked
    !$omp masked filter(1)
    !$omp atomic
    by_masked1 = by_masked1 + 1
    who_masked1 = omp_get_thread_num()
    !$omp end masked
    !$omp end parallel
    call expect('master: executions', by_master, 1)
    call expect('master: thread', who_master, 0)
    call expect('masked: executions', by_masked0, 1)
    if (nthreads > 1) then
      call expect('masked filter(1): executions', by_masked1, 1)
      call expect('masked filter(1): thread', who_masked1, 1)
    else
      call expect('masked filter(1) in a team of one: executions', by_masked1, 0)
    end if
  end subroutine master_masked

end program sections_single
