/* An out-of-tree program built against an installed arayon. */
#include <arayon.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int count;
static int work(void *arg) { atomic_fetch_add(&count, *(int *)arg); return 0; }

int main(void)
{
    arayon_pool_t *pool;
    if (arayon_pool_create(NULL, &pool) != ARAYON_OK)
        return 1;
    arayon_scope_t *s;
    int one = 1;
    if (arayon_scope_begin(pool, &s) != ARAYON_OK)
        return 1;
    for (int i = 0; i < 1000; i++)
        arayon_scope_spawn(s, work, &one, NULL);
    int rc = arayon_scope_end(&s);
    arayon_pool_destroy(&pool);
    printf("consumer: %d tasks ran (%s), arayon %s\n", atomic_load(&count), arayon_strerror(rc),
           arayon_version());
    return rc == ARAYON_OK && atomic_load(&count) == 1000 ? 0 : 1;
}
