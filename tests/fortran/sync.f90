! sync: mutual exclusion and ordering between the threads of a team. critical (unnamed, two
! names, a name with a hint), atomic update (+, *, max, iand, .and. on INTEGER, REAL(8) and
! LOGICAL; seq_cst), atomic read and write, atomic capture in both orders, and barrier phases
! that let nobody through early. Exact checks; a wrong answer is printed and the program ends
! with stop 1.
program sync
  use omp_lib
  implicit none
  integer, parameter :: iters = 2000
  integer :: nfail, nthreads

  nfail = 0
  nthreads = omp_get_max_threads()

  call critical_sections()
  call atomics()
  call captures()
  call barriers()

  if (nfail > 0) then
    print '(a,i0,a)', 'sync: ', nfail, ' check(s) failed'
    stop 1
  end if
  print '(a,i0,a)', 'sync: ok (', nthreads, ' threads)'

contains

  subroutine fail(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    !$omp critical (sync_report)
    nfail = nfail + 1
    if (nfail <= 20) print '(a,a,a,i0,a,i0)', 'sync: FAIL ', what, ': got ', got, &
      ', expected ', expected
    !$omp end critical (sync_report)
  end subroutine fail

  subroutine expect(what, got, expected)
    character(len=*), intent(in) :: what
    integer, intent(in) :: got, expected
    if (got /= expected) call fail(what, got, expected)
  end subroutine expect

  subroutine critical_sections()
    integer :: plain, named_a, named_b, hinted, inside_plain, inside_a, overlap, i
    plain = 0
    named_a = 0
    named_b = 0
    hinted = 0
    inside_plain = 0
    inside_a = 0
    overlap = 0
    !$omp parallel private(i) &
    !$omp& shared(plain, named_a, named_b, hinted, inside_plain, inside_a, overlap)
    do i = 1, iters
      !$omp critical
      inside_plain = inside_plain + 1
      if (inside_plain /= 1) overlap = overlap + 1
      plain = plain + 1
      inside_plain = inside_plain - 1
      !$omp end critical
      !$omp critical (alpha)
      inside_a = inside_a + 1
      if (inside_a /= 1) overlap = overlap + 1
      named_a = named_a + 2
      inside_a = inside_a - 1
      !$omp end critical (alpha)
      !$omp critical (beta)
      named_b = named_b + 3
      !$omp end critical (beta)
      !$omp critical (gamma) hint(omp_sync_hint_contended)
      hinted = hinted + 1
      !$omp end critical (gamma)
    end do
    !$omp end parallel
    call expect('unnamed critical: increments', plain, nthreads * iters)
    call expect('critical (alpha): increments', named_a, 2 * nthreads * iters)
    call expect('critical (beta): increments', named_b, 3 * nthreads * iters)
    call expect('critical (gamma) hint: increments', hinted, nthreads * iters)
    call expect('critical: two threads inside at once', overlap, 0)
  end subroutine critical_sections

  subroutine atomics()
    integer :: i, isum, iprod, imax, imaskv, written, read_back, seq
    real(8) :: dsum
    logical :: land
    isum = 0
    iprod = 1
    imax = -1
    imaskv = -1
    dsum = 0
    land = .true.
    written = 0
    read_back = -1
    seq = 0
    !$omp parallel private(i) shared(isum, iprod, imax, imaskv, dsum, land, written, read_back, seq)
    do i = 1, iters
      !$omp atomic
      isum = isum + i
      !$omp atomic update
      dsum = dsum + 0.5d0
      !$omp atomic
      imax = max(imax, i * (omp_get_thread_num() + 1))
      !$omp atomic
      imaskv = iand(imaskv, not(ishft(1, mod(i + omp_get_thread_num(), 8))))
      !$omp atomic
      land = land .and. (i /= 1000 .or. omp_get_thread_num() /= 0)
      !$omp atomic seq_cst
      seq = seq + 1
    end do
    if (omp_get_thread_num() == 0) then
      do i = 1, 10
        !$omp atomic
        iprod = 2 * iprod
      end do
    end if
    !$omp barrier
    !$omp single
    !$omp atomic write
    written = 12345
    !$omp end single
    ! (the single's implicit barrier orders the write before the reads)
    !$omp atomic read
    read_back = written
    if (read_back /= 12345) call fail('atomic read after atomic write', read_back, 12345)
    !$omp end parallel
    call expect('atomic x = x + i', isum, nthreads * iters * (iters + 1) / 2)
    call expect('atomic update real(8) x = x + 0.5, times 2', int(2 * dsum), nthreads * iters)
    call expect('atomic x = max(x, e)', imax, iters * nthreads)
    call expect('atomic x = iand(x, e)', imaskv, not(255))
    if (land) call fail('atomic x = x .and. e: still .true.', 1, 0)
    call expect('atomic x = e * x', iprod, 1024)
    call expect('atomic seq_cst', seq, nthreads * iters)
  end subroutine atomics

  ! capture: every thread takes tickets; each value is handed out exactly once
  subroutine captures()
    integer :: counter, down, v, w, i
    integer, allocatable :: seen(:), seen_down(:)
    allocate (seen(0:nthreads * iters - 1), seen_down(0:nthreads * iters - 1))
    counter = 0
    down = nthreads * iters
    seen = 0
    seen_down = 0
    !$omp parallel private(v, w, i) shared(counter, down, seen, seen_down)
    do i = 1, iters
      !$omp atomic capture
      v = counter
      counter = counter + 1
      !$omp end atomic
      seen(v) = seen(v) + 1
      !$omp atomic capture
      down = down - 1
      w = down
      !$omp end atomic
      seen_down(w) = seen_down(w) + 1
    end do
    !$omp end parallel
    call expect('atomic capture v = x; x = x + 1: final value', counter, nthreads * iters)
    call expect('atomic capture: tickets not handed out exactly once', count(seen /= 1), 0)
    call expect('atomic capture x = x - 1; v = x: final value', down, 0)
    call expect('atomic capture (update first): values not seen once', count(seen_down /= 1), 0)
  end subroutine captures

  ! Each phase every thread writes its slot, waits at the barrier, then finds every slot
  ! written for this phase; a second barrier keeps the next phase's writes out.
  subroutine barriers()
    integer :: slots(0:63), early, phase
    slots = 0
    early = 0
    !$omp parallel private(phase) shared(slots, early)
    do phase = 1, 200
      slots(omp_get_thread_num()) = phase
      !$omp barrier
      if (any(slots(0:omp_get_num_threads() - 1) /= phase)) then
        !$omp atomic
        early = early + 1
      end if
      !$omp barrier
    end do
    !$omp end parallel
    call expect('barrier: threads that passed before every slot was written', early, 0)
  end subroutine barriers

end program sync
