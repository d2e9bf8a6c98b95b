#!/usr/bin/python3
"""Connected components of an exported Holo graph (holo export graph) with
networkx and igraph, timed without the file loading. Debian's python3-networkx
and python3-igraph; run with /usr/bin/python3.

    cc_peers.py NODES.tsv EDGES.tsv  ->  one JSON line
"""
import json
import sys
import time

import igraph
import networkx


def main():
    nodes_path, edges_path = sys.argv[1], sys.argv[2]
    with open(nodes_path) as f:
        n = sum(1 for _ in f)
    edges = []
    with open(edges_path) as f:
        for line in f:
            a, b, _kind, _count = line.split("\t")
            edges.append((int(a), int(b)))
    out = {"nodes": n, "edges": len(edges)}

    g = networkx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    t = time.perf_counter()
    comps = sum(1 for _ in networkx.connected_components(g))
    out["networkx_seconds"] = time.perf_counter() - t
    out["networkx_components"] = comps
    out["networkx_version"] = networkx.__version__
    del g

    h = igraph.Graph(n=n, edges=edges, directed=False)
    t = time.perf_counter()
    comps = len(h.connected_components())
    out["igraph_seconds"] = time.perf_counter() - t
    out["igraph_components"] = comps
    out["igraph_version"] = igraph.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
