/* tests/cli/learner_grid.c — a learner's 2-D array of row pointers: the array of rows
 * malloc'd, each row calloc'd, one cell set, every row freed then the array. */
#include <stdlib.h>

int main(void)
{
    int rows = 3, cols = 4;
    int **grid = malloc(rows * sizeof *grid);
    for (int r = 0; r < rows; r++)
        grid[r] = calloc(cols, sizeof **grid);
    grid[1][2] = 7;
    grid[2][3] = 9; /* filled */
    for (int r = 0; r < rows; r++)
        free(grid[r]);
    free(grid);
    return 0;
}
