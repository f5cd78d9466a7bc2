! parallel_regions: the parallel construct as a Fortran program uses it. Team sizes from
! num_threads and OMP_NUM_THREADS, if(.false.) regions, nested regions under
! OMP_MAX_ACTIVE_LEVELS=2 (set by the test) and under omp_set_max_active_levels, and the
! data-sharing clauses: default(none), default(private), default(firstprivate), private,
! firstprivate, shared, and copyin of a threadprivate variable. Every check is exact; a wrong
! answer is printed and the program ends with stop 1.
module pr_state
  implicit none
  integer :: tp_counter = 5
  !$omp threadprivate(tp_counter)
end module pr_state

program parallel_regions
  use omp_lib
  use pr_state
  implicit none
  integer :: nfail, env_threads

  nfail = 0
  env_threads = threads_from_env()

  call team_sizes()
  call if_clause()
  call nested()
  call data_sharing()
  call copyin_clause()

  if (nfail > 0) then
    print '(a,i0,a)', 'parallel_regions: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'parallel_regions: ok (', env_threads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (pr_report)
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'parallel_regions: FAIL ', what, ': got ', got, &
      ', expected ', expected
    !$omp end critical (pr_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  integer function threads_from_env()
    character(len=32) :: v
    integer :: st, n
    call get_environment_variable('OMP_NUM_THREADS', v, status=st)
    n = 0
    if (st == 0) read (v, *, iostat=st) n
    if (st /= 0 .or. n < 1) then
      print '(a)', 'parallel_regions: OMP_NUM_THREADS must be set to a positive number'
      stop 1
    end if
    threads_from_env = n
  end function threads_from_env

  ! Each region's team: the size asked for, thread numbers 0..n-1 each exactly once.
  subroutine team_sizes()
    integer :: seen(0:15), n, k, sizes(4), i
    sizes = [1, 2, 3, 4]
    call expect('omp_get_max_threads() = OMP_NUM_THREADS', omp_get_max_threads(), env_threads)

    ! the default team: OMP_NUM_THREADS threads
    seen = 0
    n = -1
    !$omp parallel shared(seen, n)
    !$omp atomic
    seen(omp_get_thread_num()) = seen(omp_get_thread_num()) + 1
    !$omp master
    n = omp_get_num_threads()
    !$omp end master
    !$omp end parallel
    call expect('default team size', n, env_threads)
    do k = 0, env_threads - 1
      call expect('default team: times thread number k was seen', seen(k), 1)
    end do
    call expect('default team: thread numbers beyond the team', sum(seen(env_threads:)), 0)

    ! num_threads(k) gives exactly k threads (dynamic adjustment is off by default)
    do i = 1, size(sizes)
      seen = 0
      n = -1
      !$omp parallel num_threads(sizes(i)) shared(seen, n)
      !$omp atomic
      seen(omp_get_thread_num()) = seen(omp_get_thread_num()) + 1
      if (omp_get_thread_num() == 0) n = omp_get_num_threads()
      !$omp end parallel
      call expect('num_threads(k): team size', n, sizes(i))
      call expect('num_threads(k): members counted', sum(seen), sizes(i))
      ! (findloc counts from 1: the position of thread number t is t + 1)
      call expect('num_threads(k): highest thread number seen + 1', &
        findloc(seen > 0, .true., dim=1, back=.true.), sizes(i))
    end do

    ! regions back to back keep omp_in_parallel/level right
    call expect('outside: omp_get_level()', omp_get_level(), 0)
    call expect('outside: omp_get_num_threads()', omp_get_num_threads(), 1)
    call expect('outside: omp_get_thread_num()', omp_get_thread_num(), 0)
  end subroutine team_sizes

  ! if(.false.): a team of one thread, a level of its own that is not active.
  subroutine if_clause()
    integer :: n, level, active, members
    logical :: in_par, cond
    cond = .false.
    members = 0
    !$omp parallel if(cond) num_threads(4) shared(n, level, active, in_par, members)
    !$omp atomic
    members = members + 1
    n = omp_get_num_threads()
    level = omp_get_level()
    active = omp_get_active_level()
    in_par = omp_in_parallel()
    !$omp end parallel
    call expect('if(.false.): members', members, 1)
    call expect('if(.false.): team size', n, 1)
    call expect('if(.false.): omp_get_level()', level, 1)
    call expect('if(.false.): omp_get_active_level()', active, 0)
    if (in_par) call fail('if(.false.): omp_in_parallel() is .true.', 1, 0)

    cond = .true.
    members = 0
    !$omp parallel if(cond) num_threads(2) shared(members)
    !$omp atomic
    members = members + 1
    !$omp end parallel
    call expect('if(.true.) num_threads(2): members', members, 2)
  end subroutine if_clause

  ! Nested regions: OMP_MAX_ACTIVE_LEVELS=2 (from the test's environment) lets two levels
  ! have teams of more than one thread, the third is a team of one.
  subroutine nested()
    integer :: inner(0:1), level3(0:1, 0:1), anc(0:1, 0:1), sizes1(0:1, 0:1), members
    integer :: lvl(0:1, 0:1), act(0:1, 0:1)

    call expect('omp_get_max_active_levels() from OMP_MAX_ACTIVE_LEVELS', &
      omp_get_max_active_levels(), 2)
    inner = -1
    level3 = -1
    anc = -1
    sizes1 = -1
    lvl = -1
    act = -1
    !$omp parallel num_threads(2) shared(inner, level3, anc, sizes1, lvl, act)
    block
      integer :: outer_tid
      outer_tid = omp_get_thread_num()
      !$omp parallel num_threads(2) shared(inner, level3, anc, sizes1, lvl, act) &
      !$omp& firstprivate(outer_tid)
      block
        integer :: t, n3
        t = omp_get_thread_num()
        if (t == 0) inner(outer_tid) = omp_get_num_threads()
        anc(outer_tid, t) = omp_get_ancestor_thread_num(1)
        sizes1(outer_tid, t) = omp_get_team_size(1) * 10 + omp_get_team_size(2)
        lvl(outer_tid, t) = omp_get_level()
        act(outer_tid, t) = omp_get_active_level()
        !$omp parallel num_threads(2) shared(n3)
        !$omp master
        n3 = omp_get_num_threads()
        !$omp end master
        !$omp end parallel
        level3(outer_tid, t) = n3
      end block
      !$omp end parallel
    end block
    !$omp end parallel
    call expect('nested: inner team size under outer thread 0', inner(0), 2)
    call expect('nested: inner team size under outer thread 1', inner(1), 2)
    call expect('nested: third level team size (beyond max active levels)', maxval(level3), 1)
    call expect('nested: third level team size, min', minval(level3), 1)
    call expect('nested: omp_get_ancestor_thread_num(1) under outer 0', maxval(anc(0, :)), 0)
    call expect('nested: omp_get_ancestor_thread_num(1) under outer 1', minval(anc(1, :)), 1)
    call expect('nested: 10*team_size(1) + team_size(2), max', maxval(sizes1), 22)
    call expect('nested: 10*team_size(1) + team_size(2), min', minval(sizes1), 22)
    call expect('nested: omp_get_level() at level 2', maxval(lvl) * 10 + minval(lvl), 22)
    call expect('nested: omp_get_active_level() at level 2', maxval(act) * 10 + minval(act), 22)

    ! one active level: the inner region is a team of one
    call omp_set_max_active_levels(1)
    members = 0
    !$omp parallel num_threads(2) shared(members)
    !$omp parallel num_threads(2) shared(members)
    !$omp atomic
    members = members + 1
    !$omp end parallel
    !$omp end parallel
    call expect('max active levels 1: members of the inner regions', members, 2)
    call omp_set_max_active_levels(2)
    call expect('omp_set_max_active_levels(2) then get', omp_get_max_active_levels(), 2)
  end subroutine nested

  subroutine data_sharing()
    integer :: a, b, c, d, total, n, i
    integer :: priv_ok, fp_ok
    real :: r
    a = 10
    b = 20
    c = 0
    d = 7
    total = 0
    n = 0
    priv_ok = 0
    fp_ok = 0
    ! default(none): everything named; private starts undefined, firstprivate from the
    ! original, shared is the original. The original of a private variable is unchanged.
    !$omp parallel default(none) private(a) firstprivate(b) shared(c, total, n, priv_ok, fp_ok)
    a = omp_get_thread_num() * 100
    b = b + omp_get_thread_num()
    !$omp barrier
    if (a == omp_get_thread_num() * 100) then
      !$omp atomic
      priv_ok = priv_ok + 1
    end if
    if (b == 20 + omp_get_thread_num()) then
      !$omp atomic
      fp_ok = fp_ok + 1
    end if
    !$omp atomic
    c = c + 1
    !$omp atomic
    total = total + b
    !$omp single
    n = omp_get_num_threads()
    !$omp end single
    !$omp end parallel
    call expect('private(a): the original is unchanged', a, 10)
    call expect('firstprivate(b): the original is unchanged', b, 20)
    call expect('shared(c): every thread added one', c, n)
    call expect('private(a): each copy kept its value', priv_ok, n)
    call expect('firstprivate(b): each copy started at 20', fp_ok, n)
    call expect('firstprivate(b): sum of the copies', total, 20 * n + n * (n - 1) / 2)

    ! default(private): d and i private; default(firstprivate): every copy starts from d
    fp_ok = 0
    !$omp parallel default(private) shared(fp_ok)
    d = -1
    i = omp_get_thread_num()
    if (d == -1 .and. i == omp_get_thread_num()) then
      !$omp atomic
      fp_ok = fp_ok + 1
    end if
    !$omp end parallel
    call expect('default(private): copies', fp_ok, omp_get_max_threads())
    call expect('default(private): the original d is unchanged', d, 7)
    fp_ok = 0
    r = 2.5
    !$omp parallel default(firstprivate) shared(fp_ok)
    if (d == 7 .and. r == 2.5) then
      !$omp atomic
      fp_ok = fp_ok + 1
    end if
    d = 0
    !$omp end parallel
    call expect('default(firstprivate): copies that started at 7 and 2.5', fp_ok, &
      omp_get_max_threads())
    call expect('default(firstprivate): the original d is unchanged', d, 7)
  end subroutine data_sharing

  ! A threadprivate module variable: initialized from its declaration in every thread, copyin
  ! copies the primary's value into every thread's copy.
  subroutine copyin_clause()
    integer :: init_ok, copy_ok, n
    init_ok = 0
    copy_ok = 0
    ! tp_counter has not been assigned yet in any thread: its initial value is 5 everywhere
    !$omp parallel num_threads(2) shared(init_ok)
    if (tp_counter == 5) then
      !$omp atomic
      init_ok = init_ok + 1
    end if
    !$omp end parallel
    call expect('threadprivate initial value in every thread', init_ok, 2)
    tp_counter = 99
    !$omp parallel copyin(tp_counter) shared(copy_ok, n)
    if (tp_counter == 99) then
      !$omp atomic
      copy_ok = copy_ok + 1
    end if
    tp_counter = tp_counter + omp_get_thread_num()
    !$omp single
    n = omp_get_num_threads()
    !$omp end single
    !$omp end parallel
    call expect('copyin: copies that received 99', copy_ok, n)
    call expect('copyin: the primary thread''s copy after the region', tp_counter, 99)
  end subroutine copyin_clause

end program parallel_regions
