"""The local web explorer: ``convscope serve`` (127.0.0.1 only).

One page (HTML, CSS and plain JavaScript shipped in this package's ``static``
folder) where a person picks an operator, the convention and every parameter,
and sees the animated diagram, the output shape with its formula, the overlap
map and the receptive field. The page computes nothing: it asks this
package's small JSON API (:mod:`convscope.web.api`), which asks
:mod:`convscope.arith` and :mod:`convscope.viz`.

>>> from convscope.web import make_server
>>> server = make_server(0)          # port 0: any free port, as the tests use it
>>> server.server_address[0]
'127.0.0.1'
>>> server.server_close()
"""

from .api import ApiError, explore, frame, schema
from .server import HOST, ExplorerServer, make_server, serve

__all__ = ["HOST", "ApiError", "ExplorerServer", "explore", "frame", "make_server", "schema", "serve"]
