#!/bin/bash
#SBATCH --job-name=hello
#SBATCH --ntasks=2
#SBATCH --time=00:05:00
# The first script to run on sk8: unchanged Slurm. Its output lands in
# slurm-<jobid>.out in the directory you submitted from.
echo "Hello from job $SLURM_JOB_ID ($SLURM_JOB_NAME) on $SLURM_JOB_NODELIST"
srun -l bash -c 'echo "task $SLURM_PROCID of $SLURM_NTASKS on $(hostname)"'
