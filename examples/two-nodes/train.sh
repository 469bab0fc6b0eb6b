#!/bin/bash
#SBATCH --job-name=two-nodes
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=2
# A multi-node script as training jobs write them: MASTER_ADDR from the
# first node, one srun that fans out over both nodes.
MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_ADDR MASTER_PORT=29500
echo "nodes=$SLURM_JOB_NODELIST master=$MASTER_ADDR tasks=$SLURM_NTASKS"
srun -l bash -c 'echo "rank $SLURM_PROCID on $SLURMD_NODENAME sees $MASTER_ADDR:$MASTER_PORT"'
