from .responses import S3FilesResponse

url_bases = [r"https?://s3files\.(.+)\.amazonaws\.com"]

url_paths = {"{0}/.*$": S3FilesResponse.dispatch}
