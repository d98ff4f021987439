"""Reads the Ordering read models the way any other team would: with the Python driver, by the
tables' own keys. Prints what it finds as JSON.

usage: cassandra_reader.py NODES KEYSPACE ORDER_ID CUSTOMER_ID
"""

import json
import sys
import uuid

from cassandra.cluster import Cluster


def main():
    nodes, keyspace, order_id, customer_id = sys.argv[1:5]
    contact_points = []
    port = 9042
    for node in nodes.split(","):
        host, _, node_port = node.partition(":")
        contact_points.append(host)
        port = int(node_port or port)
    cluster = Cluster(contact_points, port=port)
    session = cluster.connect(keyspace)
    summary = session.execute(
        "SELECT customer_id, status, lines, eventwright_deleted FROM order_summary WHERE order_id = %s",
        (uuid.UUID(order_id),),
    ).one()
    listed = session.execute(
        "SELECT order_id, status FROM order_history_by_customer_id WHERE customer_id = %s",
        (uuid.UUID(customer_id),),
    )
    print(
        json.dumps(
            {
                "summary": {
                    "customer_id": str(summary.customer_id),
                    "status": summary.status,
                    "lines": summary.lines,
                    "eventwright_deleted": summary.eventwright_deleted,
                },
                "by_customer": [[str(row.order_id), row.status] for row in listed],
            }
        )
    )
    cluster.shutdown()


if __name__ == "__main__":
    main()
