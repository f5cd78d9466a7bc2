! api: the omp_lib routines a Fortran program calls, with the values the specification fixes
! (or, where it leaves them to the implementation, the relations it requires): thread and team
! queries inside and outside regions (thread number, team size, max threads, procs, in
! parallel, level, active level, ancestor thread number, team size of a level), the schedule
! (set/get of every kind), wtime/wtick, dynamic, nested, max active levels, thread limit, proc
! bind, places, cancellation, in final, default device, initial device, omp_set_num_threads then
! a region's team size, the affinity format routines with CHARACTER buffers (get, set, capture,
! truncation), omp_display_env(.false.), and the lock routines (simple and nested, the depths
! omp_test_nest_lock returns).
!
! The test compiles this program twice: as it is (INTEGER and LOGICAL of kind 4) and with
! -fdefault-integer-8, which makes every default INTEGER and LOGICAL argument 8 bytes long, so
! that omp_lib's generic interfaces call the _8 routines (omp_set_num_threads_8_,
! omp_get_schedule_8_, omp_set_dynamic_8_, ...). Results of kind 4 are converted with int() or
! compared as they are. Exact checks; a wrong answer is printed and the program ends with stop 1.
program api
  use omp_lib
  implicit none
  integer :: nfail, env_threads

  nfail = 0
  env_threads = threads_from_env()

  call outside_regions()
  call inside_regions()
  call set_num_threads()
  call schedules()
  call icvs()
  call nesting()
  call tasks_and_devices()
  call affinity_format()
  call locks()
  call omp_display_env(.false.)

  if (nfail > 0) then
    print '(a,i0,a)', 'api: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a,i0,a)', 'api: ok (', env_threads, ' threads, default INTEGER of kind ', &
    kind(env_threads), ')'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (api_report)
    nfail = nfail + 1
    if (nfail <= 30) print '(a,a,a,i0,a,i0)', 'api: FAIL ', what, ': got ', got, ', expected ', &
      expected
    !$omp end critical (api_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  ! (omp_lib's LOGICAL results are of kind 4: logical() gives them the default kind)
  subroutine expect_true(what, cond)
    character(len=*), intent(in) :: what
    logical, intent(in) :: cond
    if (.not. cond) call fail(what // ' (1: true)', 0, 1)
  end subroutine expect_true

  integer function threads_from_env()
    character(len=32) :: v
    integer :: st, n
    call get_environment_variable('OMP_NUM_THREADS', v, status=st)
    n = 0
    if (st == 0) read (v, *, iostat=st) n
    if (st /= 0 .or. n < 1) then
      print '(a)', 'api: OMP_NUM_THREADS must be set to a positive number'
      stop 1
    end if
    threads_from_env = n
  end function threads_from_env

  subroutine outside_regions()
    real(8) :: t0, t1, tick
    integer :: k
    call expect('omp_get_thread_num() outside', int(omp_get_thread_num()), 0)
    call expect('omp_get_num_threads() outside', int(omp_get_num_threads()), 1)
    call expect('omp_get_max_threads() = OMP_NUM_THREADS', int(omp_get_max_threads()), env_threads)
    call expect_true('omp_get_num_procs() >= 1', omp_get_num_procs() >= 1)
    call expect_true('omp_in_parallel() outside is .false.', .not. logical(omp_in_parallel()))
    call expect('omp_get_level() outside', int(omp_get_level()), 0)
    call expect('omp_get_active_level() outside', int(omp_get_active_level()), 0)
    call expect('omp_get_ancestor_thread_num(0) outside', int(omp_get_ancestor_thread_num(0)), 0)
    call expect('omp_get_ancestor_thread_num(1) outside', int(omp_get_ancestor_thread_num(1)), -1)
    call expect('omp_get_team_size(0) outside', int(omp_get_team_size(0)), 1)
    call expect('omp_get_team_size(1) outside', int(omp_get_team_size(1)), -1)
    t0 = omp_get_wtime()
    tick = omp_get_wtick()
    k = 0
    do while (omp_get_wtime() - t0 < 2d-3 .and. k < 100000000)
      k = k + 1
    end do
    t1 = omp_get_wtime()
    call expect_true('omp_get_wtime() advances (2 ms)', t1 - t0 >= 2d-3 .and. t1 - t0 < 10d0)
    call expect_true('0 < omp_get_wtick() < 0.01', tick > 0d0 .and. tick < 1d-2)
  end subroutine outside_regions

  subroutine inside_regions()
    integer :: n, in_par, levels, actives, anc_ok, sizes_ok, members
    in_par = 0
    levels = 0
    actives = 0
    anc_ok = 0
    sizes_ok = 0
    members = 0
    !$omp parallel shared(n, in_par, levels, actives, anc_ok, sizes_ok, members)
    !$omp single
    n = int(omp_get_num_threads())
    !$omp end single
    !$omp atomic
    members = members + 1
    if (omp_in_parallel() .eqv. (n > 1)) then
      !$omp atomic
      in_par = in_par + 1
    end if
    if (omp_get_level() == 1) then
      !$omp atomic
      levels = levels + 1
    end if
    if (omp_get_active_level() == merge(1, 0, n > 1)) then
      !$omp atomic
      actives = actives + 1
    end if
    if (omp_get_ancestor_thread_num(1) == omp_get_thread_num() .and. &
        omp_get_ancestor_thread_num(0) == 0 .and. omp_get_ancestor_thread_num(2) == -1) then
      !$omp atomic
      anc_ok = anc_ok + 1
    end if
    if (omp_get_team_size(1) == n .and. omp_get_team_size(0) == 1 .and. &
        omp_get_team_size(2) == -1) then
      !$omp atomic
      sizes_ok = sizes_ok + 1
    end if
    !$omp end parallel
    call expect('team size of the default region', n, env_threads)
    call expect('members of the default region', members, env_threads)
    call expect('omp_in_parallel() inside (true when the team is larger than one)', in_par, n)
    call expect('omp_get_level() = 1 inside', levels, n)
    call expect('omp_get_active_level() inside', actives, n)
    call expect('omp_get_ancestor_thread_num(0/1/2) inside', anc_ok, n)
    call expect('omp_get_team_size(0/1/2) inside', sizes_ok, n)

    ! a region of one thread is not active
    in_par = -1
    !$omp parallel num_threads(1) shared(in_par, actives, levels)
    in_par = merge(1, 0, omp_in_parallel())
    actives = int(omp_get_active_level())
    levels = int(omp_get_level())
    !$omp end parallel
    call expect('omp_in_parallel() in a team of one', in_par, 0)
    call expect('omp_get_active_level() in a team of one', actives, 0)
    call expect('omp_get_level() in a team of one', levels, 1)
  end subroutine inside_regions

  subroutine set_num_threads()
    integer :: n, inner_max
    call omp_set_num_threads(3)
    call expect('omp_get_max_threads() after omp_set_num_threads(3)', int(omp_get_max_threads()), 3)
    n = -1
    !$omp parallel shared(n, inner_max)
    !$omp master
    n = int(omp_get_num_threads())
    inner_max = int(omp_get_max_threads())
    !$omp end master
    !$omp end parallel
    call expect('team size after omp_set_num_threads(3)', n, 3)
    call expect('omp_get_max_threads() inside that team', inner_max, 3)
    call omp_set_num_threads(env_threads)
    !$omp parallel shared(n)
    !$omp master
    n = int(omp_get_num_threads())
    !$omp end master
    !$omp end parallel
    call expect('team size after omp_set_num_threads(OMP_NUM_THREADS)', n, env_threads)
  end subroutine set_num_threads

  subroutine schedules()
    integer(omp_sched_kind) :: kind
    integer :: chunk
    call omp_set_schedule(omp_sched_dynamic, 7)
    call omp_get_schedule(kind, chunk)
    call expect('omp_get_schedule after (dynamic, 7): kind', int(kind), int(omp_sched_dynamic))
    call expect('omp_get_schedule after (dynamic, 7): chunk', chunk, 7)
    call omp_set_schedule(omp_sched_guided, 5)
    call omp_get_schedule(kind, chunk)
    call expect('omp_get_schedule after (guided, 5): kind', int(kind), int(omp_sched_guided))
    call expect('omp_get_schedule after (guided, 5): chunk', chunk, 5)
    call omp_set_schedule(omp_sched_static, 3)
    call omp_get_schedule(kind, chunk)
    call expect('omp_get_schedule after (static, 3): kind', int(kind), int(omp_sched_static))
    call expect('omp_get_schedule after (static, 3): chunk', chunk, 3)
    call omp_set_schedule(omp_sched_auto, 1)
    call omp_get_schedule(kind, chunk)
    call expect('omp_get_schedule after (auto): kind', int(kind), int(omp_sched_auto))
  end subroutine schedules

  subroutine icvs()
    logical :: d
    integer :: n
    d = omp_get_dynamic()
    call expect_true('omp_get_dynamic() is .false. by default', .not. d)
    call omp_set_dynamic(.true.)
    call expect_true('omp_get_dynamic() after omp_set_dynamic(.true.)', logical(omp_get_dynamic()))
    n = -1
    !$omp parallel shared(n)
    !$omp master
    n = int(omp_get_num_threads())
    !$omp end master
    !$omp end parallel
    call expect_true('dynamic: the team is no larger than asked', n >= 1 .and. n <= env_threads)
    call omp_set_dynamic(.false.)
    call expect_true('omp_get_dynamic() after omp_set_dynamic(.false.)', &
      .not. logical(omp_get_dynamic()))

    call expect_true('omp_get_thread_limit() >= omp_get_max_threads()', &
      omp_get_thread_limit() >= omp_get_max_threads())
    call expect('omp_get_proc_bind() without OMP_PROC_BIND', int(omp_get_proc_bind()), &
      int(omp_proc_bind_false))
    n = int(omp_get_num_places())
    call expect_true('omp_get_num_places() >= 0', n >= 0)
    if (n > 0) call expect_true('omp_get_place_num_procs(0) >= 1', omp_get_place_num_procs(0) >= 1)
    call expect_true('omp_get_cancellation() without OMP_CANCELLATION', &
      .not. logical(omp_get_cancellation()))
    call expect('omp_get_max_task_priority() without OMP_MAX_TASK_PRIORITY', &
      int(omp_get_max_task_priority()), 0)
  end subroutine icvs

  subroutine nesting()
    integer :: inner(0:1), act2(0:1, 0:1), lv2(0:1, 0:1), anc(0:1, 0:1), sz(0:1, 0:1)
    call expect_true('omp_get_nested() is .false. by default', .not. logical(omp_get_nested()))
    call expect('omp_get_max_active_levels() by default', int(omp_get_max_active_levels()), 1)
    call omp_set_nested(.true.)
    call expect_true('omp_get_nested() after omp_set_nested(.true.)', logical(omp_get_nested()))
    call expect_true('omp_get_max_active_levels() > 1 after omp_set_nested(.true.)', &
      omp_get_max_active_levels() > 1)
    call omp_set_nested(.false.)
    call expect_true('omp_get_nested() after omp_set_nested(.false.)', &
      .not. logical(omp_get_nested()))
    call expect('omp_get_max_active_levels() after omp_set_nested(.false.)', &
      int(omp_get_max_active_levels()), 1)

    call omp_set_max_active_levels(3)
    call expect('omp_get_max_active_levels() after omp_set_max_active_levels(3)', &
      int(omp_get_max_active_levels()), 3)
    call expect_true('omp_get_supported_active_levels() >= 3', &
      omp_get_supported_active_levels() >= 3)
    inner = -1
    act2 = -1
    lv2 = -1
    anc = -1
    sz = -1
    !$omp parallel num_threads(2) shared(inner, act2, lv2, anc, sz)
    block
      integer :: o
      o = int(omp_get_thread_num())
      !$omp parallel num_threads(2) shared(inner, act2, lv2, anc, sz) firstprivate(o)
      block
        integer :: t
        t = int(omp_get_thread_num())
        if (t == 0) inner(o) = int(omp_get_num_threads())
        act2(o, t) = int(omp_get_active_level())
        lv2(o, t) = int(omp_get_level())
        anc(o, t) = int(omp_get_ancestor_thread_num(1)) * 10 + int(omp_get_ancestor_thread_num(2))
        sz(o, t) = int(omp_get_team_size(1)) * 10 + int(omp_get_team_size(2))
      end block
      !$omp end parallel
    end block
    !$omp end parallel
    call expect('nested (3 active levels): inner team under outer thread 0', inner(0), 2)
    call expect('nested (3 active levels): inner team under outer thread 1', inner(1), 2)
    call expect('nested: omp_get_active_level() = 2, wrong values', count(act2 /= 2), 0)
    call expect('nested: omp_get_level() = 2, wrong values', count(lv2 /= 2), 0)
    call expect('nested: ancestors (0,1)', anc(0, 1), 1)
    call expect('nested: ancestors (1,0)', anc(1, 0), 10)
    call expect('nested: ancestors (1,1)', anc(1, 1), 11)
    call expect('nested: 10*team_size(1)+team_size(2), wrong values', count(sz /= 22), 0)
    call omp_set_max_active_levels(1)
  end subroutine nesting

  subroutine tasks_and_devices()
    integer :: in_final_task
    integer :: dev
    call expect_true('omp_in_final() outside tasks', .not. logical(omp_in_final()))
    in_final_task = -1
    !$omp parallel shared(in_final_task)
    !$omp single
    !$omp task final(.true.) shared(in_final_task)
    in_final_task = merge(1, 0, omp_in_final())
    !$omp end task
    !$omp taskwait
    !$omp end single
    !$omp end parallel
    call expect('omp_in_final() in a final task', in_final_task, 1)
    call expect_true('omp_is_initial_device()', logical(omp_is_initial_device()))
    dev = int(omp_get_default_device())
    call expect_true('omp_get_default_device() >= 0', dev >= 0)
    call omp_set_default_device(0)
    call expect('omp_get_default_device() after omp_set_default_device(0)', &
      int(omp_get_default_device()), 0)
    call expect('omp_get_num_teams() outside teams', int(omp_get_num_teams()), 1)
    call expect('omp_get_team_num() outside teams', int(omp_get_team_num()), 0)
  end subroutine tasks_and_devices

  subroutine affinity_format()
    character(len=80) :: buf
    character(len=3) :: small
    character(len=40) :: expected_capture
    integer :: n, ok, m
    buf = 'x'
    n = int(omp_get_affinity_format(buf))
    call expect_true('omp_get_affinity_format(): a default format', n > 0)
    call expect_true('omp_get_affinity_format(): the buffer holds it', len_trim(buf) == min(n, 80))

    call omp_set_affinity_format('T%{thread_num}/%{num_threads} L%L')
    buf = 'x'
    n = int(omp_get_affinity_format(buf))
    call expect('omp_get_affinity_format() after set: length', n, 33)
    if (buf /= 'T%{thread_num}/%{num_threads} L%L') then
      print '(a,a,a)', 'api: FAIL omp_get_affinity_format() after set: got "', trim(buf), '"'
      nfail = nfail + 1
    end if
    ! a buffer too short: the result is truncated, the length is the whole format's
    small = '???'
    n = int(omp_get_affinity_format(small))
    call expect('omp_get_affinity_format() into CHARACTER(3): length', n, 33)
    if (small /= 'T%{') then
      print '(a,a,a)', 'api: FAIL omp_get_affinity_format() into CHARACTER(3): got "', small, '"'
      nfail = nfail + 1
    end if

    ok = 0
    !$omp parallel private(buf, n, m, small, expected_capture) shared(ok)
    ! the format given, then the affinity-format-var (an empty format)
    n = int(omp_capture_affinity(buf, '%{thread_num} of %{num_threads}'))
    write (expected_capture, '(i0,a,i0)') omp_get_thread_num(), ' of ', omp_get_num_threads()
    if (buf == expected_capture .and. n == len_trim(expected_capture)) then
      !$omp atomic
      ok = ok + 1
    end if
    m = int(omp_capture_affinity(buf, ''))
    write (expected_capture, '(a,i0,a,i0,a)') 'T', omp_get_thread_num(), '/', &
      omp_get_num_threads(), ' L1'
    if (buf == expected_capture .and. m == len_trim(expected_capture)) then
      !$omp atomic
      ok = ok + 1
    end if
    small = '???'
    n = int(omp_capture_affinity(small, 'level=%L'))
    if (small == 'lev' .and. n == 7) then
      !$omp atomic
      ok = ok + 1
    end if
    !$omp end parallel
    call expect('omp_capture_affinity: right results (3 per thread)', ok, 3 * env_threads)
  end subroutine affinity_format

  subroutine locks()
    integer(omp_lock_kind) :: lck
    integer(omp_nest_lock_kind) :: nl
    integer :: counter, i, held_test, depth2, depth3, other, after
    call omp_init_lock(lck)
    counter = 0
    !$omp parallel private(i) shared(lck, counter)
    do i = 1, 1000
      call omp_set_lock(lck)
      counter = counter + 1
      call omp_unset_lock(lck)
    end do
    !$omp end parallel
    call expect('omp_set_lock: increments', counter, 1000 * env_threads)
    call expect_true('omp_test_lock on a free lock', logical(omp_test_lock(lck)))
    held_test = -1
    !$omp parallel num_threads(2) shared(lck, held_test)
    if (omp_get_thread_num() == 1) held_test = merge(1, 0, omp_test_lock(lck))
    !$omp end parallel
    call expect('omp_test_lock by another thread while held', held_test, 0)
    call omp_unset_lock(lck)
    call omp_destroy_lock(lck)

    call omp_init_nest_lock(nl)
    call omp_set_nest_lock(nl)
    depth2 = int(omp_test_nest_lock(nl))
    depth3 = int(omp_test_nest_lock(nl))
    other = -1
    !$omp parallel num_threads(2) shared(nl, other)
    if (omp_get_thread_num() == 1) other = int(omp_test_nest_lock(nl))
    !$omp end parallel
    call omp_unset_nest_lock(nl)
    call omp_unset_nest_lock(nl)
    call omp_unset_nest_lock(nl)
    after = -1
    !$omp parallel num_threads(2) shared(nl, after)
    if (omp_get_thread_num() == 1) then
      after = int(omp_test_nest_lock(nl))
      if (after > 0) call omp_unset_nest_lock(nl)
    end if
    !$omp end parallel
    call omp_destroy_nest_lock(nl)
    call expect('omp_test_nest_lock by the owner: depth', depth2, 2)
    call expect('omp_test_nest_lock by the owner again: depth', depth3, 3)
    call expect('omp_test_nest_lock by another thread while held', other, 0)
    call expect('omp_test_nest_lock by another thread after release', after, 1)
  end subroutine locks

end program api
