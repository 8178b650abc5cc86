import requests


def lambda_handler(event, context):
    return {"status": requests.get(event["url"], timeout=3).status_code}
