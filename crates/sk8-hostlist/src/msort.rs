//! The stable top-down merge sort behind glibc's `qsort`, which Slurm's `hostlist_sort` relies on.
//!
//! Slurm's comparator is not a strict total order and adjusts widths as it
//! compares, so the exact sequence of comparisons matters; `slice::sort_by`
//! may compare differently (and may panic on an inconsistent order).

use std::cmp::Ordering;

/// Sorts `items` stably, comparing exactly as glibc 2.36's `msort` does.
pub(crate) fn msort_by<T>(items: &mut Vec<T>, mut cmp: impl FnMut(&mut T, &mut T) -> Ordering) {
    let n = items.len();
    if n <= 1 {
        return;
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut tmp = vec![0; n];
    sort(&mut order, &mut tmp, items, &mut cmp);
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.iter().filter_map(|&i| slots[i].take()));
}

fn sort<T>(
    order: &mut [usize],
    tmp: &mut [usize],
    items: &mut [T],
    cmp: &mut impl FnMut(&mut T, &mut T) -> Ordering,
) {
    let n = order.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    {
        let (left, right) = order.split_at_mut(n1);
        sort(left, tmp, items, cmp);
        sort(right, tmp, items, cmp);
    }
    let (mut i, mut j, mut k) = (0, n1, 0);
    while i < n1 && j < n {
        let (a, b) = two_mut(items, order[i], order[j]);
        if cmp(a, b) == Ordering::Greater {
            tmp[k] = order[j];
            j += 1;
        } else {
            tmp[k] = order[i];
            i += 1;
        }
        k += 1;
    }
    while i < n1 {
        tmp[k] = order[i];
        i += 1;
        k += 1;
    }
    // Whatever is left of the right half is already in place.
    order[..k].copy_from_slice(&tmp[..k]);
}

fn two_mut<T>(items: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    if a < b {
        let (left, right) = items.split_at_mut(b);
        (&mut left[a], &mut right[0])
    } else {
        let (left, right) = items.split_at_mut(a);
        (&mut right[0], &mut left[b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably() {
        let cases: &[&[(u8, char)]] = &[
            &[],
            &[(1, 'a')],
            &[(2, 'a'), (1, 'b')],
            &[(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')],
            &[
                (5, 'a'),
                (4, 'b'),
                (3, 'c'),
                (2, 'd'),
                (1, 'e'),
                (0, 'f'),
                (2, 'g'),
            ],
        ];
        for &case in cases {
            let mut got = case.to_vec();
            msort_by(&mut got, |a, b| a.0.cmp(&b.0));
            let mut want = case.to_vec();
            want.sort_by_key(|p| p.0);
            assert_eq!(got, want);
        }
    }
}
