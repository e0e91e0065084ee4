"""dezero-mpi: data-parallel training on MPI, in the shape ChainerMN users know.

Launch one process per worker (``mpiexec -n 4 python -m mpi4py train.py``) and, in the script::

    comm = dezero_mpi.create_communicator()
    train = dezero_mpi.scatter_dataset(train, comm, seed=0)          # this process's part
    model(x0); comm.bcast_data(model)                                 # rank 0's parameters everywhere
    optimizer = dezero_mpi.create_multi_node_optimizer(Adam(), comm).setup(model)
    Trainer(model, loss, optimizer, DataLoader(train, 32), communicator=comm).fit(10)

Nothing here imports ``mpi4py.MPI`` (which starts MPI) until a communicator is created.
"""
from dezero_mpi.communicator import MPICommunicator, ParameterMismatchError, create_communicator
from dezero_mpi.dataset import SubDataset, scatter_dataset
from dezero_mpi.loader import BatchShareLoader
from dezero_mpi.optimizer import MultiNodeOptimizer, create_multi_node_optimizer
from dezero_mpi.sharded import ShardingUnavailable
from dezero_mpi.transports import TransportError

__all__ = ["BatchShareLoader", "MPICommunicator", "MultiNodeOptimizer", "ParameterMismatchError", "ShardingUnavailable",
           "SubDataset", "TransportError", "create_communicator", "create_multi_node_optimizer", "scatter_dataset"]
